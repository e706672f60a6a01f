package io.commercechat.chat.inbox.service;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.inbox.repository.InboxRepository;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Follows inboxes for SSE and Subscribe streams, on any replica. The database is the only source
 * of truth: a stream reads committed events after its own cursor. PostgreSQL LISTEN/NOTIFY (one
 * connection per replica) only wakes streams early; a poll every {@code chat.stream-poll-interval}
 * covers missed notifications and a lost listener connection.
 */
@ApplicationScoped
public class InboxFeed {

    private static final Logger LOG = Logger.getLogger(InboxFeed.class);
    public static final String CHANNEL = "chat_inbox";
    private static final int BATCH = 200;

    private final InboxRepository inbox;
    private final ChatConfig config;
    private final Vertx vertx;
    private final String url;
    private final String user;
    private final String password;
    private final Map<String, Set<Wakeup>> waiting = new ConcurrentHashMap<>();
    private PgSubscriber subscriber;
    private volatile boolean stopping;

    public InboxFeed(InboxRepository inbox, ChatConfig config, Vertx vertx,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") String user,
            @ConfigProperty(name = "quarkus.datasource.password") String password) {
        this.inbox = inbox;
        this.config = config;
        this.vertx = vertx;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    void start(@Observes StartupEvent ignored) {
        PgConnectOptions options = PgConnectOptions.fromUri(url).setUser(user).setPassword(password);
        subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 1000L);
        subscriber.channel(CHANNEL).handler(this::notified);
        subscriber.closeHandler(v -> {
            if (!stopping) {
                LOG.warn("inbox LISTEN connection lost; streams poll until it is back");
            }
        });
        subscriber.connect().onFailure(e -> LOG.warnf("inbox LISTEN connection failed (%s); streams poll", e.getMessage()));
    }

    void stop(@Observes ShutdownEvent ignored) {
        stopping = true;
        if (subscriber != null) {
            subscriber.close();
        }
    }

    private void notified(String payload) {
        int space = payload.indexOf(' ');
        if (space > 0) {
            Set<Wakeup> streams = waiting.get(payload.substring(space + 1));
            if (streams != null) {
                streams.forEach(Wakeup::signal);
            }
        }
    }

    /** Every committed event after {@code afterPosition}, in order, then new ones as they commit. */
    public Multi<InboxEntry> follow(String participant, long afterPosition) {
        return Multi.createFrom().deferred(() -> {
            Wakeup wakeup = new Wakeup();
            waiting.computeIfAbsent(participant, k -> ConcurrentHashMap.newKeySet()).add(wakeup);
            AtomicLong cursor = new AtomicLong(afterPosition);
            // After a read that was not full, the stream has every event committed before that read
            // began, so it waits for the next wake-up (or the poll) instead of reading again at once:
            // one read per notification instead of two. A notification that arrives before clear()
            // names an event committed before the read that follows, so nothing is skipped.
            AtomicBoolean caughtUp = new AtomicBoolean(false);
            return Multi.createBy().repeating()
                    .uni(() -> (caughtUp.get() ? wakeup.await(config.streamPollInterval().toMillis()) : Uni.createFrom().voidItem())
                            .chain(() -> {
                                wakeup.clear();
                                return inbox.after(participant, cursor.get(), BATCH);
                            }))
                    .indefinitely()
                    .onItem().invoke(batch -> {
                        caughtUp.set(batch.size() < BATCH);
                        if (!batch.isEmpty()) {
                            cursor.set(batch.get(batch.size() - 1).position());
                        }
                    })
                    .onItem().transformToIterable((List<InboxEntry> batch) -> batch)
                    .onTermination().invoke(() -> waiting.computeIfPresent(participant, (k, set) -> {
                        set.remove(wakeup);
                        return set.isEmpty() ? null : set;
                    }));
        });
    }

    /**
     * A stream's wake-up flag. A notification that arrives while the stream is reading is kept
     * (the flag), so the stream reads again at once instead of sleeping through it.
     */
    private final class Wakeup {
        private boolean pending;
        private UniEmitter<? super Void> parked;
        private long timer = -1;

        synchronized void clear() {
            pending = false;
        }

        synchronized void signal() {
            if (parked != null) {
                release();
            } else {
                pending = true;
            }
        }

        Uni<Void> await(long maxMillis) {
            return Uni.createFrom().emitter(emitter -> {
                synchronized (Wakeup.this) {
                    if (pending) {
                        pending = false;
                        emitter.complete(null);
                        return;
                    }
                    parked = emitter;
                    timer = vertx.setTimer(maxMillis, id -> {
                        synchronized (Wakeup.this) {
                            if (parked == emitter) {
                                timer = -1;
                                release();
                            }
                        }
                    });
                    emitter.onTermination(() -> {
                        synchronized (Wakeup.this) {
                            if (parked == emitter) {
                                parked = null;
                            }
                        }
                    });
                }
            });
        }

        private void release() {
            UniEmitter<? super Void> e = parked;
            parked = null;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
            if (e != null) {
                e.complete(null);
            }
        }
    }
}
