package io.commercechat.chat.inbox.service;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.inbox.InboxPosition;
import io.commercechat.chat.inbox.repository.InboxRepository;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.db.DatabaseOutages;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Follows inboxes for SSE and Subscribe streams, on any replica. The database is the only source
 * of truth: a stream emits committed events after its own position, gapless and in order.
 * PostgreSQL LISTEN/NOTIFY (one connection per replica) tells streams which positions have
 * committed, so they read only when there is something new. When the listener connection comes back after a loss,
 * every stream reads once (what was notified meanwhile is lost); while it is down, streams read every
 * {@code chat.stream-poll-interval-without-listen}, and while it is up an idle stream still reads every
 * {@code chat.stream-poll-interval} (30 s), a safety net that costs thousands of idle streams little. A listener
 * connection that hangs without closing is found by a periodic query on it ({@code chat.listen-check-interval}) and
 * replaced by a new one; the replaced connection's backend is ended from the pool.
 * Message events that this replica's sends commit are handed to its own streams directly
 * ({@link #committed}), which saves those streams a read and the wait for the notification. The
 * notifications that arrive while this replica writes a batch of sends are held until the batch's
 * events have been handed over ({@link #writing}, {@link #written}): a batch's NOTIFY and its answer
 * arrive on two connections at about the same time, and when the notification came first the
 * stream read back the event it was about to be handed (measured: two sends in three, with 128
 * streams open).
 */
@ApplicationScoped
public class InboxFeed {

    private static final Logger LOG = Logger.getLogger(InboxFeed.class);
    public static final String CHANNEL = "chat_inbox";
    /** The LISTEN connection's application_name. */
    public static final String LISTENER_NAME = "chat-service inbox listener";
    private static final int BATCH = 200;
    /** A stream whose read the database refused for now reads again after 0.5–1.5 times this. */
    private static final long READ_RETRY_MILLIS = 1_000;
    private static final long WAKE_ALL_SPREAD_MILLIS = 2_000;
    private static final ChatFailure SERVER_BUSY = ChatFailure.unavailable("server-busy",
            "this server has as many event streams open as it can hold; try again in a moment");
    /** For {@link #follow(String, long, int, Supplier)}: a transport whose own demand paces the reads. */
    public static final Supplier<Uni<Void>> ALWAYS_READY = () -> Uni.createFrom().voidItem();
    /** Notifications held beyond this are let through at once (a batch that takes very long to answer). */
    private static final int MAX_HELD = 4096;
    /** How soon a LISTEN connection that closed, or could not be made, is tried again. */
    private static final long RECONNECT_MILLIS = 1000;

    private final InboxRepository inbox;
    private final Pool pool;
    private final ChatConfig config;
    private final Vertx vertx;
    private final String url;
    private final String user;
    private final String password;
    private final ListenerOutage outage;
    private final Map<String, Set<Wakeup>> waiting = new ConcurrentHashMap<>();
    /** Streams open on this replica, everyone's (chat.streams-per-replica). */
    private final AtomicInteger streamsOpen = new AtomicInteger();
    private volatile PgSubscriber subscriber;
    private volatile boolean stopping;
    private long listenCheckTimer = -1;
    /** A check of the LISTEN connection is waiting for its answer (one at a time). */
    private final AtomicBoolean listenChecking = new AtomicBoolean();
    /** Guards {@link #batchesWriting} and {@link #held}. */
    private final Object gate = new Object();
    private int batchesWriting;
    private final ArrayDeque<String> held = new ArrayDeque<>();
    /** Events the streams of this replica have emitted (the metric chat.inbox.stream.events). */
    private final LongAdder emitted = new LongAdder();
    /** Inbox reads of this replica's streams (the metric chat.inbox.stream.reads). */
    private final LongAdder reads = new LongAdder();

    public InboxFeed(InboxRepository inbox, Pool pool, ChatConfig config, Vertx vertx, MeterRegistry metrics,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") String user,
            @ConfigProperty(name = "quarkus.datasource.password") String password) {
        this.inbox = inbox;
        this.pool = pool;
        this.config = config;
        this.vertx = vertx;
        this.url = url;
        this.user = user;
        this.password = password;
        this.outage = new ListenerOutage(config.listenOutageWarningInterval(), Duration.ofMillis(RECONNECT_MILLIS));
        FunctionCounter.builder("chat.inbox.stream.events", emitted, LongAdder::sum)
                .description("inbox events emitted to SSE and Subscribe streams").register(metrics);
        Gauge.builder("chat.inbox.streams", waiting, w -> w.values().stream().mapToInt(Set::size).sum())
                .description("SSE and Subscribe streams open on this replica").register(metrics);
        Gauge.builder("chat.inbox.notifications.held", this, InboxFeed::heldNotifications)
                .description("notifications held until this replica's batch being written is handed over").register(metrics);
        FunctionCounter.builder("chat.inbox.stream.reads", reads, LongAdder::sum)
                .description("inbox reads by SSE and Subscribe streams (idle streams read only every chat.stream-poll-interval)")
                .register(metrics);
    }

    void start(@Observes StartupEvent ignored) {
        listen();
        listenCheckTimer = vertx.setPeriodic(config.listenCheckInterval().toMillis(), id -> checkListener());
    }

    private double heldNotifications() {
        synchronized (gate) {
            return held.size();
        }
    }

    /**
     * Listens on a new connection, from now on {@link #subscriber}: reconnected by itself when it closes; every stream
     * reads once when it (re)subscribes.
     */
    private void listen() {
        // named, so that operators (and tests) can tell it apart in pg_stat_activity
        PgConnectOptions options = PgConnectOptions.fromUri(url).setUser(user).setPassword(password)
                .addProperty("application_name", LISTENER_NAME);
        // asked when the connection closes (0) and after each reconnection that failed (1, 2, ...); not after close()
        PgSubscriber listener = PgSubscriber.subscriber(vertx, options);
        listener.reconnectPolicy(retries -> {
            if (subscriber != listener || stopping) {
                return -1L;  // replaced or stopping: not this replica's listener any more; no reconnect, nothing to say
            }
            if (retries == 0) {
                outage.lost();
            } else {
                outage.failed(null);  // PgSubscriber does not tell why
            }
            return RECONNECT_MILLIS;
        });
        listener.channel(CHANNEL).handler(this::notified).subscribeHandler(v -> subscribed(listener));
        subscriber = listener;  // before it connects: subscribed() must not take it for a replaced one
        listener.connect().onFailure(e -> {
            if (subscriber == listener && !stopping) {
                outage.failed(withoutPassword(e));
            }
            // the subscriber reconnects by itself only once it has been connected: a first connect that fails is
            // tried again here, on a new one (a replacement made while the database could not be reached)
            vertx.setTimer(RECONNECT_MILLIS, id -> {
                if (subscriber == listener && !stopping) {
                    listener.close();
                    listen();
                }
            });
        });
    }

    private void subscribed(PgSubscriber listener) {
        if (listener != subscriber || stopping) {
            // closed (replaced, or at shutdown) while it (re)connected: PgSubscriber connects and LISTENs all the
            // same, and a second close() does nothing
            PgConnection late = listener.actualConnection();
            if (late != null) {
                late.close();
            }
            listener.close();  // and it does not reconnect (a retry that began as the replica stopped)
            return;
        }
        outage.listening();
        // notifications sent while the listener was away are lost, so every stream reads once
        wakeAll();
    }

    /** The driver's message (host and port, the server's reason); the password is kept out of the log all the same. */
    private String withoutPassword(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return password == null || password.isEmpty() ? message : message.replace(password, "****");
    }

    void stop(@Observes ShutdownEvent ignored) {
        stopping = true;
        if (listenCheckTimer >= 0) {
            vertx.cancelTimer(listenCheckTimer);
        }
        if (subscriber != null) {
            subscriber.close();
        }
    }

    /**
     * Asks the LISTEN connection for an answer. One that does not come within {@code chat.listen-check-timeout} (a
     * half-open TCP connection, a frozen backend) replaces the listener with a new one, which wakes every stream once
     * when it has subscribed. Closing the old connection alone would not do: the client sends Terminate and waits for
     * the server to end the connection, which a hung one never does, so its backend is ended from the pool as well.
     */
    private void checkListener() {
        PgSubscriber current = subscriber;
        PgConnection connection = current == null ? null : current.actualConnection();
        if (connection == null || stopping || !listenChecking.compareAndSet(false, true)) {
            return;  // not connected: the subscriber is reconnecting by itself
        }
        int backend = connection.processId();
        AtomicBoolean decided = new AtomicBoolean();
        long timeout = vertx.setTimer(config.listenCheckTimeout().toMillis(), id -> {
            if (decided.compareAndSet(false, true)) {
                listenChecking.set(false);
                if (!stopping && subscriber == current) {
                    LOG.warnf("inbox LISTEN connection did not answer within %s; listening on a new one",
                            config.listenCheckTimeout());
                    listen();
                    current.close();
                    endBackend(backend, 5);
                }
            }
        });
        connection.query("SELECT 1").execute().onComplete(answer -> {
            if (decided.compareAndSet(false, true)) {
                listenChecking.set(false);
                vertx.cancelTimer(timeout);
                // a failure means the connection closed: the subscriber reconnects by itself
            }
        });
    }

    /**
     * Ends a replaced listener's backend, which would otherwise LISTEN on until TCP keepalive gives up (hours): it
     * holds a connection slot and, once it cannot deliver, the server's NOTIFY queue. The pool usually still gets
     * through (a firewall or NAT that forgets idle connections forgets the listener's first); the name guards against
     * a reused pid. Tried again every 2 s, {@code attempts} in all, while the pool cannot reach the database either.
     */
    private void endBackend(int pid, int attempts) {
        pool.preparedQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE pid = $1 AND application_name = $2")
                .execute(Tuple.of(pid, LISTENER_NAME))
                .subscribe().with(ended -> {}, e -> {
                    if (attempts > 1 && !stopping) {
                        vertx.setTimer(2000, id -> endBackend(pid, attempts - 1));
                    } else {
                        LOG.warnf("could not end the replaced inbox LISTEN connection's backend %d (%s)", pid, e.getMessage());
                    }
                });
    }

    /** This replica starts writing a batch of sends: notifications wait until {@link #written} (one call each). */
    public void writing() {
        synchronized (gate) {
            batchesWriting++;
        }
    }

    /**
     * A batch of this replica's sends is written and its committed events are handed over (or it
     * failed): the notifications held meanwhile go through now. Those of this batch find their
     * streams already at the positions they announce and cost no read; those of other replicas'
     * sends waited at most one batch.
     */
    public void written() {
        List<String> release;
        synchronized (gate) {
            batchesWriting--;
            if (held.isEmpty()) {
                return;  // the usual case: nothing to copy
            }
            release = new ArrayList<>(held);
            held.clear();
        }
        release.forEach(this::announce);
    }

    /** NOTIFY's payload is '<the inbox's last position> <participant>' (all of it committed when it arrives). */
    private void notified(String payload) {
        synchronized (gate) {
            if (batchesWriting > 0 && held.size() < MAX_HELD) {
                held.add(payload);
                return;
            }
        }
        announce(payload);
    }

    /**
     * Every stream reads once, spread over up to {@link #WAKE_ALL_SPREAD_MILLIS} (2 ms a stream): thousands of
     * streams reading at the same moment would queue for the pool beyond its bound and be refused.
     */
    private void wakeAll() {
        List<Wakeup> all = waiting.values().stream().flatMap(Set::stream).toList();
        long spread = Math.min(WAKE_ALL_SPREAD_MILLIS, 2L * all.size());
        for (Wakeup w : all) {
            long delay = spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(spread);
            if (delay == 0) {
                w.readOnce();
            } else {
                vertx.setTimer(delay, id -> w.readOnce());
            }
        }
    }

    /** How long an idle stream waits before it reads anyway: long while notifications come, short while they cannot. */
    private long pollMillis() {
        PgSubscriber s = subscriber;
        return (s != null && s.actualConnection() != null ? config.streamPollInterval()
                : config.streamPollIntervalWithoutListen()).toMillis();
    }

    private void announce(String payload) {
        int space = payload.indexOf(' ');
        if (space > 0) {
            Set<Wakeup> streams = waiting.get(payload.substring(space + 1));
            if (streams != null) {
                long last;
                try {
                    last = Long.parseLong(payload, 0, space, 10);
                } catch (NumberFormatException e) {
                    streams.forEach(Wakeup::readOnce);  // not a position: read once, as the poll would
                    return;
                }
                for (Wakeup w : streams) {
                    w.announced(last);
                }
            }
        }
    }

    /**
     * Message events this replica has just committed (their send returned after its commit), handed
     * to its own streams of those inboxes: a stream that is at the position before takes them as
     * they are instead of reading them back. Streams elsewhere, and any event not handed over, are
     * read from the database as before (NOTIFY, the poll).
     */
    public void committed(List<InboxPosition> events, ChatMessage message) {
        for (InboxPosition at : events) {
            Set<Wakeup> streams = waiting.get(at.participant());
            if (streams != null) {
                InboxEntry entry = new InboxEntry(at.position(), InboxEntry.MESSAGE, message.sentAt, null, message);
                for (Wakeup w : streams) {
                    w.handOff(entry);
                }
            }
        }
    }

    /**
     * {@code after}, once it is known to be a position the inbox has reached; a position beyond its last one (a
     * client that kept a position across a restored database, or made one up) fails instead of silently skipping
     * every event until the inbox gets there.
     */
    public Uni<Long> resumable(String participant, long after) {
        return inbox.head(participant).map(last -> {
            if (after > last) {
                throw new ChatFailure(ChatFailure.Kind.INVALID, "position-beyond-inbox", "position " + after
                        + " is beyond the last event of your inbox (" + last + "): resume from a position you have"
                        + " received, or from 0 to read it from its start");
            }
            return after;
        });
    }

    /**
     * Every committed event after {@code afterPosition}, in order, then new ones as they commit. When the participant
     * has {@code maxStreams} streams open on this replica already, it fails on subscription, before any item, with
     * a {@link ChatFailure.Kind#TOO_MANY}.
     */
    public Multi<InboxEntry> follow(String participant, long afterPosition, int maxStreams) {
        // SSE: RESTEasy asks for the next event only when the last one is written, so demand paces the reads
        return follow(participant, afterPosition, maxStreams, ALWAYS_READY);
    }

    /**
     * The same, reading the next events only once {@code ready} completes: for a transport that takes every item at
     * once (a gRPC server stream), so that at most a batch more than it has taken waits in memory.
     */
    public Multi<InboxEntry> follow(String participant, long afterPosition, int maxStreams, Supplier<Uni<Void>> ready) {
        return Multi.createFrom().resource(() -> open(participant, afterPosition, maxStreams, ready), Following::events)
                .withFinalizer(Following::close);
    }

    /**
     * Fails with {@link ChatFailure.Kind#TOO_MANY} when the participant has {@code maxStreams} streams open on this
     * replica: for an edge that must answer before its stream starts (SSE sends its headers first). {@link #open}
     * holds the limit also for streams opened at the same moment.
     */
    public void requireRoom(String participant, int maxStreams) {
        Set<Wakeup> open = waiting.get(participant);
        if (open != null && open.size() >= maxStreams) {
            throw tooManyStreams(maxStreams);
        }
        if (streamsOpen.get() >= config.streamsPerReplica()) {
            throw SERVER_BUSY;
        }
    }

    /** Whether {@code failure} is a stream refused for a limit (the participant's or this replica's). */
    public static boolean refusedForALimit(Throwable failure) {
        return failure instanceof ChatFailure c && (c.kind() == ChatFailure.Kind.TOO_MANY || c == SERVER_BUSY);
    }

    private static ChatFailure tooManyStreams(int maxStreams) {
        return ChatFailure.tooMany("too-many-streams", "you already have " + maxStreams
                + " event streams open: close one, or try again later");
    }

    /**
     * Admits one stream of the participant on this replica, or fails with {@link ChatFailure.Kind#TOO_MANY} when it
     * has {@code maxStreams} open already. For an edge that sends something of its own before the events, once the
     * stream is admitted: it must {@link Following#close} it however its stream ends.
     */
    public Following open(String participant, long afterPosition, int maxStreams, Supplier<Uni<Void>> ready) {
        if (streamsOpen.incrementAndGet() > config.streamsPerReplica()) {
            streamsOpen.decrementAndGet();
            throw SERVER_BUSY;
        }
        Wakeup wakeup = new Wakeup(afterPosition);
        // counted and added in one step per participant: streams opened at once cannot pass the limit together
        boolean[] admitted = {false};
        waiting.compute(participant, (k, streams) -> {
            Set<Wakeup> open = streams == null ? ConcurrentHashMap.newKeySet() : streams;
            if (open.size() < maxStreams) {
                open.add(wakeup);
                admitted[0] = true;
            }
            return open.isEmpty() ? null : open;
        });
        if (!admitted[0]) {
            streamsOpen.decrementAndGet();
            throw tooManyStreams(maxStreams);
        }
        return new Following(participant, wakeup, ready);
    }

    /** One admitted stream: its events, and {@link #close} when the stream ends. */
    public final class Following {
        private final String participant;
        private final Wakeup wakeup;
        private final Supplier<Uni<Void>> ready;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Following(String participant, Wakeup wakeup, Supplier<Uni<Void>> ready) {
            this.participant = participant;
            this.wakeup = wakeup;
            this.ready = ready;
        }

        public Multi<InboxEntry> events() {
            // Each turn emits the events right after the stream's position: those handed over by this
            // replica's sends when they follow on without a gap, otherwise a read of the database. A
            // turn waits only when no committed event beyond the position is known (announced or
            // handed); the poll reads anyway, for lost notifications.
            return Multi.createBy().repeating()
                    .uni(() -> ready.get().chain(() -> wakeup.await(pollMillis()))
                            .chain(() -> {
                                List<InboxEntry> handed = wakeup.takeHanded();
                                if (!handed.isEmpty()) {
                                    return Uni.createFrom().item(handed);
                                }
                                reads.increment();
                                long known = wakeup.reading();
                                return inbox.after(participant, wakeup.position(), BATCH).invoke(read -> {
                                    if (read.size() < BATCH) {
                                        wakeup.readUpTo(known);
                                    }
                                }).onFailure(DatabaseOutages::passing).recoverWithUni(e -> readLater(wakeup));
                            }))
                    .indefinitely()
                    .onItem().invoke(batch -> {
                        wakeup.emitted(batch);
                        emitted.add(batch.size());
                    })
                    .onItem().transformToIterable((List<InboxEntry> batch) -> batch);
        }

        /**
         * A read the database could not serve now (every pooled connection busy, a failover): the stream stays open and
         * reads again after a pause of its own, so that streams woken together do not come back together.
         */
        private Uni<List<InboxEntry>> readLater(Wakeup wakeup) {
            wakeup.readOnce();
            return Uni.createFrom().item(List.<InboxEntry>of()).onItem().delayIt()
                    .by(Duration.ofMillis(READ_RETRY_MILLIS / 2 + ThreadLocalRandom.current().nextLong(READ_RETRY_MILLIS)));
        }

        public void close() {
            if (closed.compareAndSet(false, true)) {
                streamsOpen.decrementAndGet();
            }
            waiting.computeIfPresent(participant, (k, set) -> {
                set.remove(wakeup);
                return set.isEmpty() ? null : set;
            });
        }
    }

    /**
     * One stream's state: the position it has emitted up to, the highest committed position it
     * knows of (from NOTIFY or a hand-off), the events handed to it, and its parked wait. The wait
     * is decided from that state under one lock, so no announcement between a read and the next
     * wait is lost.
     */
    private final class Wakeup {
        /** Handed events kept for a stream that is behind them (it reads the database instead when more). */
        private static final int MAX_HANDED = 256;

        private long position;
        private long known;
        /**
         * Everything committed up to here has been read: events the stream was told of that a read did not find were
         * deleted (old typing events, TypingSweep), and must not make it read again and again.
         */
        private long readUpTo;
        private boolean readAgain = true;  // the first turn reads (the replay); so does a turn after a full batch
        private final TreeMap<Long, InboxEntry> handed = new TreeMap<>();
        private UniEmitter<? super Void> parked;
        private long timer = -1;

        Wakeup(long position) {
            this.position = position;
            this.known = position;
        }

        synchronized long position() {
            return position;
        }

        /**
         * A turn starts its read: what a wake-up asked for (readOnce) is being done. One that comes during the read
         * asks again, for the read may have begun before what it announces. Returns the highest known position.
         */
        synchronized long reading() {
            readAgain = false;
            return known;
        }

        /** A read that was not full found every event committed when it began, which was at least up to {@code known}. */
        synchronized void readUpTo(long known) {
            readUpTo = Math.max(readUpTo, known);
        }

        /** The position up to which the stream has nothing more to look for. */
        private long seen() {
            return Math.max(position, readUpTo);
        }

        synchronized void announced(long last) {
            if (last > known) {
                known = last;
            }
            if (last > seen()) {
                release();
            }
        }

        /** Reads at its next turn, also when it is not parked now (busy reading, or waiting for its transport). */
        synchronized void readOnce() {
            readAgain = true;
            release();
        }

        synchronized void handOff(InboxEntry entry) {
            if (entry.position() <= position) {
                return;
            }
            if (handed.size() >= MAX_HANDED) {
                handed.clear();  // far behind: it reads the database
            }
            handed.put(entry.position(), entry);
            announced(entry.position());
        }

        /** The handed events that follow the stream's position without a gap (possibly none). */
        synchronized List<InboxEntry> takeHanded() {
            handed.headMap(position, true).clear();
            List<InboxEntry> run = new ArrayList<>();
            long next = position + 1;
            for (InboxEntry e = handed.get(next); e != null && run.size() < BATCH; e = handed.get(++next)) {
                run.add(e);
            }
            handed.headMap(next, false).clear();
            return run;
        }

        synchronized void emitted(List<InboxEntry> batch) {
            if (!batch.isEmpty()) {
                position = batch.get(batch.size() - 1).position();
            }
            // a full batch: more may be there already; a wake-up that came during this turn's read stands (reading())
            readAgain = readAgain || batch.size() == BATCH;
        }

        Uni<Void> await(long maxMillis) {
            return Uni.createFrom().emitter(emitter -> {
                synchronized (Wakeup.this) {
                    if (readAgain || known > seen()) {  // readAgain stays until a read begins (reading())
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
                                // a cancelled stream leaves no poll timer holding it
                                if (timer >= 0) {
                                    vertx.cancelTimer(timer);
                                    timer = -1;
                                }
                            }
                        }
                    });
                }
            });
        }

        /** Holds the lock. */
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
