package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.inbox.InboxPosition;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.inbox.repository.InboxRepository;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Streams of one inbox while its events come two ways at once: message events that this
 * instance's sends hand to its streams (InboxFeed.committed) and events that only the database
 * and NOTIFY bring (typing). Each stream still gets every position once, in order, without a gap,
 * whether it is live or catching up from behind.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class InboxFeedTest extends ChatTestSupport {

    private static final String SHOP_INBOX = "b:" + SHOP;

    @Inject
    InboxFeed feed;

    @Inject
    InboxRepository inbox;

    @Inject
    Pool pool;

    @Inject
    io.micrometer.core.instrument.MeterRegistry metrics;

    @Test
    void handedAndReadEventsInterleaveGaplessOnceAndInOrder() throws Exception {
        String writer = newPerson();
        String typist = newPerson();
        String writing = open(writer, SHOP);
        String typing = open(typist, SHOP);
        long start = inbox.head(SHOP_INBOX).await().atMost(Duration.ofSeconds(10));

        List<InboxEntry> live = Collections.synchronizedList(new ArrayList<>());
        List<InboxEntry> behind = Collections.synchronizedList(new ArrayList<>());
        Cancellable liveStream = feed.follow(SHOP_INBOX, start, 16).subscribe().with(live::add);
        int n = 40;
        CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                send(writer, writing, "m-" + i, "message " + i).statusCode(201);
            }
        });
        CompletableFuture<Void> typings = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                as(typist).body(Map.of("typing", i % 2 == 0)).put("/v1/conversations/" + typing + "/typing").then()
                        .statusCode(200);
            }
        });
        // a second stream starts from the beginning while the others write: it replays, then goes live
        Cancellable behindStream = feed.follow(SHOP_INBOX, Math.max(0, start - 30), 16).subscribe().with(behind::add);
        sends.get(60, TimeUnit.SECONDS);
        typings.get(60, TimeUnit.SECONDS);
        long end = inbox.head(SHOP_INBOX).await().atMost(Duration.ofSeconds(10));
        try {
            awaitPosition(live, end);
            awaitPosition(behind, end);
        } finally {
            liveStream.cancel();
            behindStream.cancel();
        }

        assertGapless(live, start);
        assertGapless(behind, Math.max(0, start - 30));
        List<InboxEntry> mine;
        synchronized (live) {
            mine = live.stream().filter(e -> e.position() <= end).toList();
        }
        long writersMessages = mine.stream().filter(e -> InboxEntry.MESSAGE.equals(e.kind()) && e.message() != null
                && e.message().clientMessageId.startsWith("m-") && e.message().conversationId.toString().equals(writing)).count();
        long typingEvents = mine.stream().filter(e -> InboxEntry.TYPING.equals(e.kind()) && e.payload().contains(typing)).count();
        assertEquals(n, writersMessages, "every message event once");
        assertEquals(n, typingEvents, "every typing event once");
        List<String> order = mine.stream().filter(e -> InboxEntry.MESSAGE.equals(e.kind()) && e.message() != null
                && e.message().conversationId.toString().equals(writing)).map(e -> e.message().clientMessageId).toList();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sent.add("m-" + i);
        }
        assertEquals(sent, order, "in the order they were sent");
    }

    @Test
    void aHandedEventWaitsForTheEventsBeforeItAndIsNotReadBackWhenItFollowsOn() throws Exception {
        String participant = "p:" + newPerson();
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        Cancellable stream = feed.follow(participant, 0, 16).subscribe().with(got::add);
        try {
            // 1 and 2 committed without a notification reaching the stream; 2 is also handed over
            commit(participant, 1);
            commit(participant, 2);
            feed.committed(List.of(new InboxPosition(participant, 2)), message());
            awaitPosition(got, 2);
            assertEquals(List.of(1L, 2L), got.stream().map(InboxEntry::position).toList(), "1 is read before 2 is emitted");

            // the stream is at 2: an event handed over at 3 follows on, and is emitted as handed, without a read
            ChatMessage handed = message();
            feed.committed(List.of(new InboxPosition(participant, 3)), handed);
            commit(participant, 3);
            awaitPosition(got, 3);
            assertEquals(3, got.size());
            assertSame(handed, got.get(2).message());
        } finally {
            stream.cancel();
        }
    }

    /**
     * Idle streams cost the database nothing while notifications come (the poll is a 30 s safety net; it was 1 s, a
     * query a second per open stream), and a listener connection that is lost and comes back makes every stream
     * read at once, for what was notified meanwhile.
     */
    @Test
    void idleStreamsDoNotReadAndAListenerThatComesBackWakesThem() throws Exception {
        List<String> participants = new ArrayList<>();
        List<List<InboxEntry>> got = new ArrayList<>();
        List<Cancellable> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                participants.add("p:" + newPerson());
                List<InboxEntry> events = Collections.synchronizedList(new ArrayList<>());
                got.add(events);
                streams.add(feed.follow(participants.get(i), 0, 16).subscribe().with(events::add));
            }
            // each makes its first read (nothing there); wait until the count settles
            double before = streamReads();
            for (int i = 0; i < 50; i++) {
                Thread.sleep(200);
                double now = streamReads();
                if (now == before && now >= 20) {
                    break;
                }
                before = now;
            }
            Thread.sleep(3000);
            assertEquals(before, streamReads(), "idle streams read nothing in 3 s");

            // an event commits without a notification (as one sent while the listener is away is lost), then the
            // listener's connection breaks and comes back
            commit(participants.get(0), 1);
            breakListener();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.get(0).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(1L), got.get(0).stream().map(InboxEntry::position).toList(),
                    "read once the listener was back, not at the next 30 s poll");
            Thread.sleep(2000);
            double woken = streamReads() - before;
            assertTrue(woken >= 20 && woken < 40, "one read a stream for the wake-up, not two: " + woken);
        } finally {
            streams.forEach(Cancellable::cancel);
        }
    }

    /**
     * A stream that is reading when the listener comes back reads once more after that read: the read may have
     * begun before an event that committed, unannounced, while the listener was away. (The end of the read used to
     * forget the wake-up, and the event waited for the next 30 s poll.)
     */
    @Test
    void aStreamReadingWhenTheListenerComesBackReadsOnceMore() throws Exception {
        String participant = "p:" + newPerson();
        // another stream, never held: its read shows that the listener's wake-up of every stream is under way
        String witness = "p:" + newPerson();
        InboxRepository real = ClientProxy.unwrap(inbox);
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger witnessReads = new AtomicInteger();
        AtomicReference<CompletableFuture<Context>> witnessWoken = new AtomicReference<>(new CompletableFuture<>());
        AtomicBoolean hold = new AtomicBoolean();
        CompletableFuture<List<InboxEntry>> heldRead = new CompletableFuture<>();
        CompletableFuture<Void> letGo = new CompletableFuture<>();
        // the stream's first read once the test holds reads is made at once and answered only when the test lets it go
        QuarkusMock.installMockForType(new InboxRepository(pool) {
            @Override
            public Uni<List<InboxEntry>> after(String p, long after, int limit) {
                Uni<List<InboxEntry>> read = real.after(p, after, limit);
                if (p.equals(witness)) {
                    witnessReads.incrementAndGet();
                    witnessWoken.get().complete(Vertx.currentContext());
                    return read;
                }
                if (!p.equals(participant)) {
                    return read;
                }
                reads.incrementAndGet();
                if (!hold.compareAndSet(true, false)) {
                    return read;
                }
                read.subscribe().with(heldRead::complete, heldRead::completeExceptionally);
                return Uni.createFrom().completionStage(heldRead.thenCombine(letGo, (events, go) -> events));
            }
        }, InboxRepository.class);
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        Cancellable stream = feed.follow(participant, 0, 16).subscribe().with(got::add);
        Cancellable witnessStream = feed.follow(witness, 0, 16).subscribe().with(e -> {});
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reads.get() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(reads.get() >= 1, "the stream's first read");
            hold.set(true);
            breakListener();  // when it is back, every stream reads once: that read is held
            assertEquals(List.of(), heldRead.get(10, TimeUnit.SECONDS), "the held read found nothing");
            // the witness's first read and its read for that wake-up are done: a read of it from now on is for the next
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (witnessReads.get() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(witnessReads.get() >= 2, "the witness read for that wake-up too");
            commit(participant, 1);  // after that read, with no notification
            CompletableFuture<Context> woken = new CompletableFuture<>();
            witnessWoken.set(woken);
            breakListener();  // back again while the stream is still in its read
            // the wake-up of every stream is one task on the listener's event loop: once a task queued behind the
            // witness's read has run there, the held stream was told to read once more (not a sleep that may be short)
            Context listenerLoop = woken.get(10, TimeUnit.SECONDS);
            assertNotNull(listenerLoop, "the wake-up runs on the listener's event loop");
            CompletableFuture<Void> allTold = new CompletableFuture<>();
            listenerLoop.runOnContext(v -> allTold.complete(null));
            allTold.get(10, TimeUnit.SECONDS);
            letGo.complete(null);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(1L), got.stream().map(InboxEntry::position).toList(),
                    "read once more after the held read, not at the next 30 s poll");
        } finally {
            letGo.complete(null);
            stream.cancel();
            witnessStream.cancel();
        }
    }

    /** Ends this replica's LISTEN connection from the server's side (the client reconnects after a second). */
    private void breakListener() throws Exception {
        long before = listenerBackend(-1);
        try (java.sql.Connection db = database();
                var st = db.createStatement();
                var r = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE application_name = '" + InboxFeed.LISTENER_NAME + "' AND datname = current_database()")) {
            r.next();
            assertEquals(1, r.getInt(1), "this replica's one LISTEN connection");
        }
        listenerBackend(before);  // connected again
    }

    /**
     * A LISTEN connection that hangs without closing (here its backend is stopped with SIGSTOP, as a half-open TCP
     * connection or a frozen server process would leave it) is found by the periodic check and replaced: an event
     * committed meanwhile reaches the stream within seconds (check every 2 s, 1 s to answer, in tests), not at the
     * next 30 s poll, and the new connection listens from another backend.
     */
    @Test
    void aListenerThatHangsWithoutClosingIsReplaced() throws Exception {
        // signals a backend process of this machine: only the tests' own embedded server runs here for sure
        Assumptions.assumeFalse(PostgresResource.external(), "needs the embedded PostgreSQL");
        String participant = "p:" + newPerson();
        long frozen = listenerBackend(-1);
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        Cancellable stream = feed.follow(participant, 0, 16).subscribe().with(got::add);
        signal("STOP", frozen);
        try {
            Thread.sleep(500);  // the stream has made its first read and waits for a notification
            pool.preparedQuery("INSERT INTO inbox_events (participant, position, kind, occurred_at, payload)"
                    + " VALUES ($1, 1, 'typing', now(), '{}')").execute(Tuple.of(participant)).await().atMost(Duration.ofSeconds(10));
            pool.preparedQuery("SELECT pg_notify('" + InboxFeed.CHANNEL + "', $1)").execute(Tuple.of("1 " + participant))
                    .await().atMost(Duration.ofSeconds(10));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(1L), got.stream().map(InboxEntry::position).toList(),
                    "read once the hanging listener was replaced, not at the next 30 s poll");
            listenerBackend(frozen);  // a new connection listens (the frozen backend is still listed until it is let go)
        } finally {
            signal("CONT", frozen);
            stream.cancel();
        }
    }

    /**
     * The backend process of this replica's LISTEN connection other than {@code except} (waits for it: it may be
     * reconnecting).
     */
    private long listenerBackend(long except) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            var rows = pool.preparedQuery("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> $2"
                    + " AND datname = current_database()").execute(Tuple.of(InboxFeed.LISTENER_NAME, (int) except))
                    .await().atMost(Duration.ofSeconds(10));
            if (rows.size() == 1) {
                return rows.iterator().next().getInteger(0);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(rows.size() + " LISTEN connections instead of this replica's one");
            }
            Thread.sleep(100);
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        // the shell's own kill: a minimal image has no /bin/kill (procps)
        Process kill = new ProcessBuilder("sh", "-c", "kill -" + signal + " " + pid).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }

    /**
     * A stream told of an event that its read does not find (a typing event deleted by the sweep before a lagging
     * stream got to it) does not read again and again: it knows everything up to there was read.
     */
    @Test
    void aNotifiedEventThatWasDeletedDoesNotMakeTheStreamReadInALoop() throws Exception {
        String participant = "p:" + newPerson();
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        Cancellable stream = feed.follow(participant, 0, 16).subscribe().with(got::add);
        try {
            Thread.sleep(500);  // its first read is done; it waits
            commit(participant, 1);
            pool.preparedQuery("DELETE FROM inbox_events WHERE participant = $1").execute(Tuple.of(participant))
                    .await().atMost(Duration.ofSeconds(10));
            double before = streamReads();
            pool.preparedQuery("SELECT pg_notify('" + InboxFeed.CHANNEL + "', $1)").execute(Tuple.of("1 " + participant))
                    .await().atMost(Duration.ofSeconds(10));
            Thread.sleep(2000);
            double reads = streamReads() - before;
            assertTrue(reads >= 1 && reads <= 3, "one read for the notification, not a loop: " + reads);
            // and it goes on: the next event arrives
            commit(participant, 2);
            pool.preparedQuery("SELECT pg_notify('" + InboxFeed.CHANNEL + "', $1)").execute(Tuple.of("2 " + participant))
                    .await().atMost(Duration.ofSeconds(10));
            awaitPosition(got, 2);
            assertEquals(List.of(2L), got.stream().map(InboxEntry::position).toList());
        } finally {
            stream.cancel();
        }
    }

    /** Streams opened at the same moment cannot pass the limit together; a closed one frees its place. */
    @Test
    void streamsOpenedAtOnceKeepToTheLimit() throws Exception {
        String participant = "p:" + newPerson();
        int tries = 12;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Throwable> refused = Collections.synchronizedList(new ArrayList<>());
        List<Cancellable> streams = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < tries; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                streams.add(feed.follow(participant, 0, 4).subscribe().with(e -> {}, refused::add));
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(10_000);
        }
        try {
            assertEquals(tries - 4, refused.size(), "all but four refused: " + refused);
            assertTrue(refused.stream().allMatch(f -> f instanceof io.commercechat.chat.error.ChatFailure c
                    && c.kind() == io.commercechat.chat.error.ChatFailure.Kind.TOO_MANY), refused.toString());
            streams.forEach(Cancellable::cancel);
            List<Throwable> again = new ArrayList<>();
            Cancellable next = feed.follow(participant, 0, 4).subscribe().with(e -> {}, again::add);
            next.cancel();
            assertTrue(again.isEmpty(), "the cancelled streams' places are free: " + again);
        } finally {
            streams.forEach(Cancellable::cancel);
        }
    }

    private double streamReads() {
        return metrics.get("chat.inbox.stream.reads").functionCounter().count();
    }

    /** An event committed straight into the inbox (a typing event), with no notification. */
    private void commit(String participant, long position) {
        pool.preparedQuery("INSERT INTO inbox_events (participant, position, kind, occurred_at, payload)"
                + " VALUES ($1, $2, 'typing', now(), '{}')").execute(Tuple.of(participant, position))
                .await().atMost(Duration.ofSeconds(10));
    }

    static ChatMessage message() {
        ChatMessage m = new ChatMessage();
        m.id = UUID.randomUUID();
        m.conversationId = UUID.randomUUID();
        m.sentAt = Instant.now();
        return m;
    }

    static void awaitPosition(List<InboxEntry> stream, long position) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            synchronized (stream) {
                if (!stream.isEmpty() && stream.get(stream.size() - 1).position() >= position) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the stream did not reach position " + position);
    }

    private static void assertGapless(List<InboxEntry> stream, long after) {
        synchronized (stream) {
            assertTrue(!stream.isEmpty());
            long expected = after + 1;
            for (InboxEntry e : stream) {
                assertEquals(expected, e.position(), "positions follow on without a gap or a repeat");
                expected++;
            }
        }
    }
}
