package io.commercechat.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.ListConsentsResponse;
import io.commercechat.testkit.PoolBounds;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * When every pooled connection is busy, callers are not queued without end (db-support's BoundedPool): one beyond the
 * queue is told UNAVAILABLE at once, one in the queue when its wait runs out, and the service serves again as soon as
 * the database does. Real PostgreSQL, real gRPC, real tokens; a table lock taken beneath the API keeps the only
 * connection busy.
 */
@QuarkusTest
@TestProfile(DatabasePoolBoundsTest.OneConnectionOneWaiter.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class DatabasePoolBoundsTest extends ConsentTestSupport {

    /** One connection, one caller may wait for it, for one second. */
    public static class OneConnectionOneWaiter implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(PoolBounds.oneConnectionOneWaiter());
            // no sweep competing for the connection (as in %test, said again since the timings depend on it)
            config.put("consent.sweep-interval", "off");
            return config;
        }
    }

    private static final String TRY_AGAIN = "consent-service could not complete this just now; try again in a moment";

    /** How a ListConsents ended, and how long after it was sent. */
    private record Outcome(Status status, long millis, ListConsentsResponse response) {}

    @Test
    void callersBeyondTheBusyPoolAreToldToTryAgainAndTheServiceRecovers() throws Exception {
        String person = newPerson();
        String consentId = service().createConsent(request(person).build()).getConsent().getId();
        // the first call of the application verifies tokens against the issuer's keys: not part of the timings below
        assertEquals(List.of(consentId), listIds(list(person, 10).response()));

        ExecutorService callers = Executors.newFixedThreadPool(3);
        try (Connection lock = database()) {
            lock.setAutoCommit(false);
            try (var s = lock.createStatement()) {
                s.execute("LOCK TABLE consents IN ACCESS EXCLUSIVE MODE");
            }

            // the first caller takes the only connection and waits for the lock on it
            CompletableFuture<Outcome> holder = CompletableFuture.supplyAsync(() -> list(person, 15), callers);
            awaitBlockedOnConsents();

            // two more: one gets the only place in the queue, the other finds it full
            CompletableFuture<Outcome> second = CompletableFuture.supplyAsync(() -> list(person, 5), callers);
            CompletableFuture<Outcome> third = CompletableFuture.supplyAsync(() -> list(person, 5), callers);
            List<Outcome> extra = List.of(second.get(10, TimeUnit.SECONDS), third.get(10, TimeUnit.SECONDS)).stream()
                    .sorted(Comparator.comparingLong(Outcome::millis)).toList();
            Outcome refused = extra.get(0);
            Outcome waited = extra.get(1);

            for (Outcome o : extra) {
                assertEquals(Status.Code.UNAVAILABLE, o.status().getCode(), o.toString());
                assertEquals(TRY_AGAIN, o.status().getDescription(), "a sentence the caller can act on");
            }
            assertTrue(refused.millis() < 500, "beyond the queue: refused at once, not after a wait: " + refused);
            // the wait is bounded by connection-wait (1 s), not Vert.x's 30 s or the caller's deadline (5 s)
            assertTrue(waited.millis() >= 900 && waited.millis() < 4_000, "the queued caller waited about 1 s: " + waited);
            assertFalse(holder.isDone(), "the first caller still waits for the lock, holding the connection");

            lock.rollback(); // the database serves again
            Outcome first = holder.get(15, TimeUnit.SECONDS);
            assertEquals(Status.Code.OK, first.status().getCode(), "the caller holding the connection is answered: " + first);
            assertEquals(List.of(consentId), listIds(first.response()));
        } finally {
            callers.shutdownNow();
        }

        Outcome after = list(person, 5);
        assertEquals(Status.Code.OK, after.status().getCode(), "the service recovered: " + after);
        assertEquals(List.of(consentId), listIds(after.response()));
    }

    /** ListConsents by the person, over gRPC with their token; a failure is an outcome, not an exception. */
    private Outcome list(String person, int deadlineSeconds) {
        long start = System.nanoTime();
        try {
            var response = as(ISSUER.person(person)).withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
                    .listConsents(ListConsentsRequest.newBuilder().setUserId(person).build());
            return new Outcome(Status.OK, elapsedMillis(start), response);
        } catch (StatusRuntimeException e) {
            return new Outcome(e.getStatus(), elapsedMillis(start), null);
        }
    }

    private static long elapsedMillis(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static List<String> listIds(ListConsentsResponse response) {
        return response.getConsentsList().stream().map(Consent::getId).toList();
    }

    /** Waits (at most 10 s) until a session of this database waits for a lock on consents: the service's read. */
    private static void awaitBlockedOnConsents() throws SQLException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Connection c = database(); var ps = c.prepareStatement("select count(*) from pg_locks where not granted"
                + " and relation = 'consents'::regclass"
                + " and database = (select oid from pg_database where datname = current_database())")) {
            while (System.nanoTime() < until) {
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
        }
        fail("the service's read never reached the locked table");
    }
}
