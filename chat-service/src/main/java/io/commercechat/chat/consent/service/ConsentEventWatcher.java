package io.commercechat.chat.consent.service;

import io.commercechat.chat.assistant.service.RenewalOffers;
import io.commercechat.chat.background.BackgroundWork;
import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.client.ServiceTokens;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.consent.repository.ConsentWatchRepository;
import io.commercechat.chat.message.service.MessageService;
import io.commercechat.proto.consent.v1.ConsentEvent;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.support.ProtoTime;
import io.grpc.StatusRuntimeException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Follows consent-service's event log with chat-service's own token. One replica at a time holds
 * a lease row in PostgreSQL and consumes; each event is applied in one transaction together with
 * the new stored position (and only while the lease is still held), so after a restart or a
 * takeover the stream resumes after the last applied event. Applying an event twice is harmless.
 * <ul>
 * <li>AUTHORISED: remember the expiry for the renewal offer (an event whose expiry is no valid time is passed over);</li>
 * <li>REVOKED / EXPIRED: mark the consent ended, so that no card of it is written any more (in a
 * transaction of its own, first), then replace every account card read under it by a notice (pushed
 * to the person's stream, and to the bank's when the card was shared).</li>
 * </ul>
 */
@ApplicationScoped
public class ConsentEventWatcher {

    private static final Logger LOG = Logger.getLogger(ConsentEventWatcher.class);
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(2);

    private final String holder = "chat-" + UUID.randomUUID();
    private final ConsentWatchRepository watch;
    private final MessageService messages;
    private final RenewalOffers renewals;
    private final ConsentClient consents;
    private final ServiceTokens tokens;
    private final BackgroundWork background;
    private final ChatConfig config;
    /** Cards replaced per transaction when a consent ends (chat.consent-events.redactions-per-transaction). */
    private final int redactionsPerTransaction;
    private final Vertx vertx;
    private volatile Cancellable stream;
    private volatile boolean stopped;
    /** The lease check in flight, if any: shutdown waits for it, or it could take the lease back after the release. */
    private volatile CompletableFuture<Void> leaseCheck = CompletableFuture.completedFuture(null);

    public ConsentEventWatcher(ConsentWatchRepository watch, MessageService messages, RenewalOffers renewals,
            ConsentClient consents, ServiceTokens tokens, BackgroundWork background, ChatConfig config, Vertx vertx) {
        this.watch = watch;
        this.messages = messages;
        this.renewals = renewals;
        this.consents = consents;
        this.tokens = tokens;
        this.background = background;
        this.config = config;
        this.vertx = vertx;
        this.redactionsPerTransaction = config.consentEvents().redactionsPerTransaction();
        if (redactionsPerTransaction < 1) {
            throw new IllegalArgumentException("chat.consent-events.redactions-per-transaction must be at least 1, not "
                    + redactionsPerTransaction);
        }
    }

    void start(@Observes StartupEvent ev) {
        if (!config.consentEvents().enabled()) {
            return;
        }
        vertx.setPeriodic(1, Math.max(1000, config.consentEvents().lease().toMillis() / 3), id -> keepLease());
        vertx.setPeriodic(config.renewal().checkInterval().toMillis(), id -> {
            if (!stopped) {
                background.run("renewal offers", renewals::offerDue);
            }
        });
    }

    void stop(@Observes ShutdownEvent ev) {
        CompletableFuture<Void> inFlight;
        synchronized (this) {  // no lease check starts after this (keepLease holds the same lock)
            stopped = true;
            inFlight = leaseCheck;
        }
        cancelStream();
        if (config.consentEvents().enabled()) {
            // handed over at once (a rolling update): another replica follows at its next lease check, instead of
            // revocations waiting until this lease has run out
            try {
                inFlight.get(RELEASE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debugf("a consent event lease check was still running at shutdown (%s)", e.getClass().getSimpleName());
            }
            try {
                background.call(() -> Panache.withTransaction(() -> watch.release(holder))).await().atMost(RELEASE_WAIT);
            } catch (RuntimeException e) {
                LOG.debugf("consent event lease not released at shutdown (%s); it runs out by itself",
                        e.getClass().getSimpleName());
            }
        }
    }

    /** Takes or extends the lease; starts following when this replica holds it, stops when it lost it. */
    private synchronized void keepLease() {
        if (stopped || !leaseCheck.isDone()) {
            return;
        }
        CompletableFuture<Void> check = new CompletableFuture<>();
        leaseCheck = check;
        background.call(() -> Panache.withTransaction(() -> watch.acquire(holder, config.consentEvents().lease())))
                // a check that hangs (a connection that never answers) must not keep every later one from starting
                .ifNoItem().after(config.consentEvents().lease()).fail()
                .onTermination().invoke(() -> check.complete(null))
                .subscribe().with(position -> {
                    if (position == null) {
                        cancelStream();
                    } else if (stream == null) {
                        follow(position);
                    }
                }, f -> LOG.warnf("consent event lease could not be checked (%s)", f.getClass().getSimpleName()));
    }

    private synchronized void follow(long after) {
        if (stream != null || stopped) {
            return;
        }
        LOG.debugf("following consent events after position %d", after);
        stream = tokens.accessToken().toMulti()
                .flatMap(token -> consents.watch(token, after))
                .onItem().transformToUniAndConcatenate(r -> background.call(() -> apply(r.getEvent())))
                .subscribe().with(applied -> {}, f -> ended(describe(f)), () -> ended("completed"));
    }

    private synchronized void ended(String why) {
        LOG.debugf("consent event stream ended (%s); resuming from the stored position", why);
        stream = null;
        if (!stopped) {
            vertx.setTimer(config.consentEvents().reconnectDelay().toMillis(), id -> keepLease());
        }
    }

    private synchronized void cancelStream() {
        Cancellable s = stream;
        stream = null;
        if (s != null) {
            s.cancel();
        }
    }

    /**
     * Applies one event with the position, or fails (ending the stream) when the lease was lost. An ended consent is
     * first marked ended in a transaction of its own: from its commit on no card of it can be written, so the cards
     * the transactions after it find are all there will be. Those are replaced a bounded number per transaction;
     * the position moves past the event in the transaction that finds no more of them.
     */
    Uni<Void> apply(ConsentEvent e) {
        Uni<Void> marked = !ends(e) ? Uni.createFrom().voidItem()
                : Panache.withTransaction(() -> due(e).chain(due -> due ? watch.ended(e.getConsent().getId())
                        : Uni.createFrom().voidItem()));
        // one transaction after another (a loop, not a recursion: a consent may have left many cards)
        return marked.chain(() -> Uni.createFrom().deferred(() -> applyOnce(e)).repeat().whilst(more -> more)
                .collect().last().replaceWithVoid());
    }

    /** One transaction of {@link #apply}; true when the event has more to do. */
    private Uni<Boolean> applyOnce(ConsentEvent e) {
        return Panache.withTransaction(() -> due(e).chain(due -> !due ? Uni.createFrom().item(false)
                : effect(e).chain(more -> more ? Uni.createFrom().item(true)
                        : watch.advance(e.getPosition()).replaceWith(false))));
    }

    /** In a transaction: locks the stored position; true while the event is still to apply, failure when the lease is lost. */
    private Uni<Boolean> due(ConsentEvent e) {
        return watch.lockPosition(holder).map(position -> {
            if (position == null) {
                throw new IllegalStateException("consent event lease lost");
            }
            return e.getPosition() > position;
        });
    }

    private static boolean ends(ConsentEvent e) {
        return e.getType() == ConsentEventType.CONSENT_EVENT_TYPE_REVOKED
                || e.getType() == ConsentEventType.CONSENT_EVENT_TYPE_EXPIRED;
    }

    /** Does what the event asks; true when it has more to do in another transaction. */
    private Uni<Boolean> effect(ConsentEvent e) {
        var consent = e.getConsent();
        if (e.getType() == ConsentEventType.CONSENT_EVENT_TYPE_AUTHORISED) {
            Instant expires;
            try {
                expires = ProtoTime.from(consent.getExpiresAt(), "expires_at");
            } catch (StatusRuntimeException outOfRange) {
                // it only grants (a renewal offer is missed): failing here would stop every later revocation for good
                LOG.warnf("consent event %d carries an expiry that is not a valid time; passed over", e.getPosition());
                return Uni.createFrom().item(false);
            }
            return expires == null ? Uni.createFrom().item(false)
                    : watch.authorised(consent.getId(), consent.getUserId(), consent.getBankId(), expires).replaceWith(false);
        }
        if (ends(e)) {
            return messages.redactCardsOf(consent.getId(), consent.getBankId(), redactionsPerTransaction)
                    .invoke(n -> {
                        if (n > 0) {
                            LOG.debugf("removed %d account card(s) after consent event %d", (Object) n, (Object) e.getPosition());
                        }
                    })
                    .map(n -> n == redactionsPerTransaction);
        }
        return Uni.createFrom().item(false);
    }

    private static String describe(Throwable f) {
        return f instanceof StatusRuntimeException s ? s.getStatus().getCode().name() : f.getClass().getSimpleName();
    }
}
