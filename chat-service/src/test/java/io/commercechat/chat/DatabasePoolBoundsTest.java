package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.testkit.PoolBounds;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.micrometer.core.instrument.MeterRegistry;
import io.restassured.response.Response;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * When every pooled connection is busy, a person is answered at once with a 503 "try again" (db-support's BoundedPool
 * bounds the wait; ProblemMappers answers it), not queued without end and not with a 500. Here the pool has one
 * connection and one caller may wait for it, for 1 s; a lock held on the conversations keeps the connection busy. An
 * event stream whose read is refused so stays open and reads again (InboxFeed).
 */
@QuarkusTest
@TestProfile(DatabasePoolBoundsTest.OneConnection.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class DatabasePoolBoundsTest extends ChatTestSupport {

    public static class OneConnection implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return PoolBounds.oneConnectionOneWaiter();
        }
    }

    @Inject
    MeterRegistry metrics;

    @Inject
    InboxFeed feed;

    @Test
    void aPersonBeyondTheWaitingOnesIsToldToTryAgainAtOnceAndTheServiceRecovers() throws Exception {
        String person = newPerson();
        open(person, BANK);

        List<CompletableFuture<Response>> calls;
        long beyondTook;
        Response beyond;
        try (Connection db = database()) {
            calls = holdThePool(db, person);
            CompletableFuture<Response> queued = calls.get(1);
            long start = System.nanoTime();
            beyond = as(person).get("/v1/conversations");
            beyondTook = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            queued.get(10, TimeUnit.SECONDS);  // its wait runs out while the lock is still held
            db.rollback();
        }

        assertEquals(503, beyond.statusCode(), beyond.asString());
        assertTrue(beyondTook < 800, "answered in " + beyondTook + " ms, before any wait ran out");
        assertEquals("application/problem+json", beyond.contentType().split(";")[0]);
        assertTrue(beyond.jsonPath().getString("type").endsWith("temporarily-unavailable"), beyond.asString());
        assertEquals("30", beyond.header("Retry-After"));

        // the waiting one was told to try again when its wait ran out; the holding one is served once the lock is gone,
        // and so is a new one: nothing stays broken
        Response timedOut = calls.get(1).get(10, TimeUnit.SECONDS);
        assertEquals(503, timedOut.statusCode(), timedOut.asString());
        assertTrue(timedOut.jsonPath().getString("type").endsWith("temporarily-unavailable"), timedOut.asString());
        assertEquals(200, calls.get(0).get(20, TimeUnit.SECONDS).statusCode());
        as(person).get("/v1/conversations").then().statusCode(200);
    }

    @Test
    void aStreamWhoseReadThePoolRefusesStaysOpenAndReadsAgain() throws Exception {
        String person = newPerson();
        open(person, BANK);
        String participant = "p:" + newPerson();
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Cancellable stream = null;
        try {
            try (Connection db = database()) {
                List<CompletableFuture<Response>> calls = holdThePool(db, person);
                CompletableFuture<Response> holding = calls.get(0);
                CompletableFuture<Response> queued = calls.get(1);
                // the stream's first read finds the one connection busy and the queue full: refused at once
                double reads = streamReads();
                stream = feed.follow(participant, 0, 16).subscribe().with(got::add, ended::set);
                await(() -> streamReads() > reads);
                assertEquals(503, queued.get(10, TimeUnit.SECONDS).statusCode());  // and so is every read for a second
                db.rollback();
                assertEquals(200, holding.get(10, TimeUnit.SECONDS).statusCode());
            }
            // the database serves again: the same stream reads, and what is committed next reaches it
            update("INSERT INTO inbox_events (participant, position, kind, occurred_at, payload)"
                    + " VALUES (?, 1, 'typing', now(), '{}')", participant);
            queryLong("SELECT count(*) FROM (SELECT pg_notify('" + InboxFeed.CHANNEL + "', '1 ' || ?)) n", participant);
            InboxFeedTest.awaitPosition(got, 1);
            assertNull(ended.get(), "the stream stayed open");
        } finally {
            if (stream != null) {
                stream.cancel();
            }
        }
    }

    /**
     * Locks the conversations on {@code db} (in a transaction the caller ends); then one of the person's requests takes
     * the pool's one connection and waits on the lock, and a second waits for the connection. Returns both.
     */
    private List<CompletableFuture<Response>> holdThePool(Connection db, String person) throws Exception {
        db.setAutoCommit(false);
        try (Statement lock = db.createStatement()) {
            lock.execute("LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE");
        }
        CompletableFuture<Response> holding = listConversations(person);
        await(() -> waitingForTheLock() == 1);
        CompletableFuture<Response> queued = listConversations(person);
        await(() -> poolQueue() == 1);
        return List.of(holding, queued);
    }

    private double streamReads() {
        return metrics.get("chat.inbox.stream.reads").functionCounter().count();
    }

    /** chat-service's connections waiting for a lock on conversations (the test's own connection holds it). */
    private static long waitingForTheLock() {
        return queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND wait_event_type = 'Lock' AND query ILIKE '%from conversations%'");
    }

    /** Callers waiting in the reactive pool's queue (Vert.x's pool metrics). */
    private double poolQueue() {
        return metrics.find("sql.pool.queue.size").gauges().stream().mapToDouble(g -> g.value()).sum();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting");
            Thread.sleep(20);
        }
    }

    private static CompletableFuture<Response> listConversations(String person) {
        return CompletableFuture.supplyAsync(() -> as(person).get("/v1/conversations"));
    }
}
