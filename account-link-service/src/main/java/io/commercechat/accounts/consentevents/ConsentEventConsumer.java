package io.commercechat.accounts.consentevents;

import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.clock.DatabaseClock;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.link.service.AccessEnding;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.ConsentEvent;
import io.grpc.StatusRuntimeException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Follows ConsentService.WatchConsentEvents so that a consent ending anywhere (revoked by the
 * person elsewhere, by the bank, or expired) ends the link here: RevokeAccess at the bank (retried
 * until it succeeds), token deleted, link REVOKED or EXPIRED. Exactly one replica consumes at a
 * time: it holds a PostgreSQL session advisory lock on a pooled connection of its own for as long
 * as it follows the stream, and stores its position in that database after each event; handling
 * is idempotent, so an event replayed after a crash changes nothing. Non-blocking throughout: the
 * loop runs on a Vert.x context of its own and waits with timers.
 */
@ApplicationScoped
public class ConsentEventConsumer {

    static final String CONSUMER = "account-link-service";
    /** Arbitrary, fixed key of the advisory lock that elects the consuming replica. */
    public static final long LOCK_KEY = 0x4163634c696e6bL;
    private static final long MAX_PAUSE_MILLIS = 30_000;
    private static final Logger LOG = Logger.getLogger(ConsentEventConsumer.class);

    private final AccountsConfig config;
    private final Pool pool;
    private final Vertx vertx;
    private final ConsentClient consents;
    private final LinkRepository links;
    private final AccessEnding ending;
    private final DatabaseClock clock;
    private volatile boolean running;
    private volatile Cancellable current;
    private Context context;
    /** Consecutive failures without a delivered event: the reconnect pause grows with them. */
    private volatile int failures;

    public ConsentEventConsumer(AccountsConfig config, Pool pool, Vertx vertx, ConsentClient consents, LinkRepository links,
            AccessEnding ending, DatabaseClock clock) {
        this.clock = clock;
        this.config = config;
        this.pool = pool;
        this.vertx = vertx;
        this.consents = consents;
        this.links = links;
        this.ending = ending;
    }

    void start(@Observes StartupEvent event) {
        if (!config.consentEvents().enabled()) {
            return;
        }
        running = true;
        // Hibernate Reactive needs a (safe) duplicated context; this loop is not part of any request.
        context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(ignored -> turn());
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        Cancellable c = current;
        if (c != null) {
            c.cancel();
        }
    }

    private void turn() {
        if (!running) {
            return;
        }
        // a stream that ends (its token expired, or the lock is another replica's) is no failure: the pause is the base one
        current = followWhileLocked().subscribe().with(done -> {
            failures = 0;
            pauseThenTurn();
        }, failure -> {
            failures++;
            if (running && (failures == 1 || failures % 10 == 0)) {
                LOG.warnf("consent event stream interrupted (%s, %d times in a row); reconnecting", describe(failure), failures);
            }
            pauseThenTurn();
        });
    }

    private void pauseThenTurn() {
        if (!running) {
            return;
        }
        long base = config.consentEvents().reconnectDelay().toMillis();
        long pause = Math.max(1, Math.min(MAX_PAUSE_MILLIS, base << Math.min(failures, 6)));
        vertx.setTimer(pause, id -> context.runOnContext(ignored -> turn()));
    }

    /** Takes the lock (or leaves the stream to the replica holding it) and follows the stream until it ends. */
    private Uni<Void> followWhileLocked() {
        return pool.getConnection().chain(lock -> tryLock(lock)
                .chain(locked -> locked ? follow(lock).eventually(() -> unlock(lock)) : Uni.createFrom().voidItem())
                .eventually(lock::close));
    }

    private Uni<Void> follow(SqlConnection lock) {
        return position(lock).chain(position -> {
            LOG.debugf("consuming consent events after position %d", position);
            return consents.watch(position)
                    .emitOn(task -> context.runOnContext(ignored -> task.run()))
                    .onItem().transformToUniAndConcatenate(r -> handle(r.getEvent())
                            .chain(() -> savePosition(lock, r.getEvent().getPosition()))
                            .invoke(() -> failures = 0))
                    .collect().last().replaceWithVoid();
        });
    }

    /** Idempotent: an event whose link already ended changes nothing. */
    Uni<Void> handle(ConsentEvent e) {
        UUID consentId;
        try {
            consentId = UUID.fromString(e.getConsent().getId());
        } catch (IllegalArgumentException notOurs) {
            return Uni.createFrom().voidItem();
        }
        String reason = e.getConsent().getStatusReason();
        return links.findByConsent(consentId).chain(link -> {
            if (link == null) {
                return Uni.createFrom().voidItem();
            }
            return switch (e.getType()) {
                // the bank is told by the revocation sweep: a slow bank must not hold the events behind this one
                case CONSENT_EVENT_TYPE_REVOKED -> ending.endLeavingTheBankToTheSweep(link, LinkStatus.LINK_STATUS_REVOKED,
                        reason.isEmpty() ? "access was revoked" : reason).replaceWithVoid();
                case CONSENT_EVENT_TYPE_EXPIRED -> ending.endLeavingTheBankToTheSweep(link, LinkStatus.LINK_STATUS_EXPIRED,
                        reason.isEmpty() ? "the consent expired" : reason).replaceWithVoid();
                case CONSENT_EVENT_TYPE_REJECTED -> clock.now().chain(now -> links.transition(link.id,
                        EnumSet.of(LinkStatus.LINK_STATUS_PENDING), LinkStatus.LINK_STATUS_FAILED,
                        reason.isEmpty() ? "the authorisation was not completed" : reason, now, null, false)).replaceWithVoid();
                // CREATED and AUTHORISED are this service's own doing.
                default -> Uni.createFrom().voidItem();
            };
        });
    }

    private static Uni<Boolean> tryLock(SqlConnection c) {
        return c.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(LOCK_KEY))
                .map(rows -> rows.iterator().next().getBoolean(0));
    }

    /** The connection goes back to the pool: release the session lock explicitly. */
    private static Uni<Void> unlock(SqlConnection c) {
        // a broken connection is discarded by the pool, and its session (and lock) ends with it
        return c.query("SELECT pg_advisory_unlock_all()").execute().replaceWithVoid().onFailure().recoverWithNull();
    }

    private static Uni<Long> position(SqlConnection c) {
        return c.preparedQuery("SELECT position FROM consent_event_positions WHERE consumer = $1").execute(Tuple.of(CONSUMER))
                .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
    }

    private static Uni<Void> savePosition(SqlConnection c, long position) {
        return c.preparedQuery("INSERT INTO consent_event_positions (consumer, position, updated_at) VALUES ($1, $2, $3) "
                        + "ON CONFLICT (consumer) DO UPDATE SET position = GREATEST(consent_event_positions.position, "
                        + "EXCLUDED.position), updated_at = EXCLUDED.updated_at")
                .execute(Tuple.of(CONSUMER, position, OffsetDateTime.now(ZoneOffset.UTC))).replaceWithVoid();
    }

    private static String describe(Throwable e) {
        return e instanceof StatusRuntimeException s ? s.getStatus().getCode().name() : e.getClass().getSimpleName();
    }
}
