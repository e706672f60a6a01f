package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.accounts.v1.AccountServiceGrpc;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.accounts.v1.ListLinksResponse;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PoolBounds;
import io.commercechat.testkit.PostgresResource;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every pooled connection busy: a caller waits for one in a bounded queue for a bounded time (db-support's BoundedPool),
 * and one the pool cannot serve is told to try again (UNAVAILABLE), at once when the queue is full, instead of waiting
 * Vert.x's 30 s or failing as INTERNAL. A lock held on links from outside keeps the pool's one connection busy; once it
 * goes, the service answers again. Real PostgreSQL, real gRPC, real tokens.
 */
@QuarkusTest
@TestProfile(DatabasePoolBoundsTest.OneConnectionOneWaiter.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class DatabasePoolBoundsTest extends MeshTestSupport {

    static final String TRY_AGAIN = "account-link-service could not complete this just now; try again in a moment";
    static final Duration CONNECTION_WAIT = PoolBounds.CONNECTION_WAIT;

    /** One connection, one caller may wait for it, for at most a second. */
    public static class OneConnectionOneWaiter implements QuarkusTestProfile {

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(PoolBounds.oneConnectionOneWaiter());
            // the consent event consumer keeps a connection for as long as it follows the stream: with only one, no RPC
            // would ever get it
            config.put("accounts.consent-events.enabled", "false");
            // a sweep taking the one connection, or the one place in the queue, would change whose call waits
            config.put("quarkus.scheduler.enabled", "false");
            return config;
        }
    }

    @Test
    void callersTheBusyPoolCannotServeAreToldToTryAgainAndTheServiceRecovers() throws Exception {
        String sub = newPerson();
        String token = ISSUER.person(sub);
        UUID link = activeLinkOf(sub);
        // served before the lock; this also fetches the issuer's keys and opens the pool's connection, so the timings
        // below are the pool's alone
        assertListed(link, listLinks(token).get(10, TimeUnit.SECONDS));

        CompletableFuture<Answer> holding;
        try (Connection locker = ownDb()) {
            locker.setAutoCommit(false);
            try (Statement s = locker.createStatement()) {
                s.execute("LOCK TABLE links IN ACCESS EXCLUSIVE MODE");
            }

            // takes the pool's only connection and waits on the lock with it
            holding = listLinks(token);
            await("ListLinks waits for the lock on links", Duration.ofSeconds(10), () -> waitingForTheLock() == 1);
            // waits in the pool's queue (its one place)
            CompletableFuture<Answer> queued = listLinks(token);
            await("a caller waits in the pool's queue", Duration.ofSeconds(5), () -> poolQueue() == 1);
            // finds the queue full
            CompletableFuture<Answer> beyond = listLinks(token);

            Answer refused = beyond.get(10, TimeUnit.SECONDS);
            assertTryAgain(refused);
            assertTrue(refused.took().compareTo(CONNECTION_WAIT.dividedBy(2)) < 0,
                    "refused at once, not after a wait: " + refused);

            Answer timedOut = queued.get(10, TimeUnit.SECONDS);
            assertTryAgain(timedOut);
            assertTrue(timedOut.took().compareTo(CONNECTION_WAIT.minusMillis(100)) >= 0
                    && timedOut.took().compareTo(CONNECTION_WAIT.multipliedBy(4)) < 0,
                    "failed when its wait of " + CONNECTION_WAIT + " ran out: " + timedOut);

            assertFalse(holding.isDone(), "the first caller still waits for the lock");
            locker.rollback();
        }

        // the lock gone, the first caller gets its answer, and a new one is served: nothing stays broken
        assertListed(link, holding.get(10, TimeUnit.SECONDS));
        assertListed(link, listLinks(token).get(10, TimeUnit.SECONDS));
    }

    /** How an RPC ended, and how long it took from the call to its end. */
    record Answer(Status status, ListLinksResponse response, Duration took) {}

    /** ListLinks over the network as the person, not waiting for its answer; reads only this service's database. */
    private CompletableFuture<Answer> listLinks(String token) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        long start = System.nanoTime();
        AccountServiceGrpc.newStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .listLinks(ListLinksRequest.getDefaultInstance(), new StreamObserver<>() {
                    private ListLinksResponse response;

                    @Override
                    public void onNext(ListLinksResponse value) {
                        response = value;
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.complete(new Answer(Status.fromThrowable(t), null, since(start)));
                    }

                    @Override
                    public void onCompleted() {
                        answer.complete(new Answer(Status.OK, response, since(start)));
                    }
                });
        return answer;
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static void assertTryAgain(Answer answer) {
        assertEquals(Status.Code.UNAVAILABLE, answer.status().getCode(), answer.toString());
        assertEquals(TRY_AGAIN, answer.status().getDescription());
    }

    private static void assertListed(UUID link, Answer answer) {
        assertEquals(Status.Code.OK, answer.status().getCode(), answer.toString());
        assertEquals(List.of(link.toString()), answer.response().getLinksList().stream().map(Link::getId).toList());
    }

    /** The service's connections waiting for a lock on links (the test's own connection holds it). */
    private static int waitingForTheLock() {
        try (Connection c = ownDb(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        + " AND query ILIKE '%from links%'")) {
            r.next();
            return r.getInt(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Callers waiting in the reactive pool's queue, as the service's metrics show it. */
    private static int poolQueue() {
        try {
            return metrics().lines().filter(l -> l.startsWith("sql_pool_queue_size{"))
                    .mapToInt(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An ACTIVE link of {@code sub}, written as the service stores one; no peer takes part. */
    private static UUID activeLinkOf(String sub) throws Exception {
        UUID id = UUID.randomUUID();
        Instant now = Instant.now();
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement("INSERT INTO links (id, user_id, bank_id,"
                + " consent_id, status, permissions, purposes, redirect_uri, state_hash, state_used, state_expires_at,"
                + " bank_link_id, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, 'LINK_STATUS_ACTIVE',"
                + " 'PERMISSION_ACCOUNTS_BASIC', 'PURPOSE_ACCOUNT_OVERVIEW', ?, ?, true, ?, ?, ?, ?, ?)")) {
            s.setObject(1, id);
            s.setString(2, sub);
            s.setString(3, BANK);
            s.setObject(4, UUID.randomUUID());
            s.setString(5, REDIRECT);
            s.setString(6, id.toString().replace("-", ""));
            s.setTimestamp(7, Timestamp.from(now));
            s.setString(8, "bank-" + id);
            s.setTimestamp(9, Timestamp.from(now));
            s.setTimestamp(10, Timestamp.from(now));
            s.setTimestamp(11, Timestamp.from(now.plus(Duration.ofDays(30))));
            assertEquals(1, s.executeUpdate());
        }
        return id;
    }
}
