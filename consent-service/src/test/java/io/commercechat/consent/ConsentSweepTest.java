package io.commercechat.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.commercechat.consent.lifecycle.service.ConsentSweep;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.proto.consent.v1.VerifyEventLogRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sweep on several replicas at once: they share the due consents, end those nobody holds without waiting for anyone's
 * rows, then wait for the ones that were held, and end each once.
 */
@QuarkusTest
@TestProfile(SweepOnDemand.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentSweepTest extends ConsentTestSupport {

    @Inject
    ConsentSweep sweep;

    /** Ends what earlier tests left due, so that the sweeps of a test meet only its own consents. */
    @BeforeEach
    void nothingDue() throws SQLException {
        DatabaseClockSkew.reset(); // before the service reads its clock (ConsentClockTest shares this application)
        sweepAll(sweep);
    }

    /** {@code n} authorised consents, oldest first, each past its expiry. */
    private List<String> dueConsents(int n) throws SQLException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(authorisedConsent(newPerson()));
        }
        for (String id : ids) {
            expireNow(id);
        }
        return ids;
    }

    /** Holds consent {@code consentId}'s row in {@code tx} as a replica's sweep does while it ends the consent. */
    private static void holdForChange(Connection tx, String consentId) throws SQLException {
        try (var ps = tx.prepareStatement("select 1 from consents where id = ?::uuid for no key update")) {
            ps.setString(1, consentId);
            try (var rs = ps.executeQuery()) {
                assertTrue(rs.next(), "no consent " + consentId);
            }
        }
    }

    private static void assertEndedOnce(List<String> ids) throws SQLException {
        for (String id : ids) {
            assertEquals("CONSENT_STATUS_EXPIRED", storedStatus(id), id);
            assertEquals(1, eventsOf(id, ConsentEventType.CONSENT_EVENT_TYPE_EXPIRED), "EXPIRED events of " + id);
        }
    }

    /** Waits until every one of {@code ids} is EXPIRED in the database; fails after {@code within}. */
    private static void awaitExpired(List<String> ids, Duration within, String otherwise) throws Exception {
        Instant deadline = Instant.now().plus(within);
        for (String id : ids) {
            while (!"CONSENT_STATUS_EXPIRED".equals(storedStatus(id))) {
                if (Instant.now().isAfter(deadline)) {
                    fail(otherwise + " (" + id + " is " + storedStatus(id) + ")");
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * The two oldest due consents are held, one by a check in flight (FOR SHARE), one by another replica's sweep (FOR NO
     * KEY UPDATE): a sweep passes over them and ends the four others while both are still held, so it waited for
     * neither first (a wait lasts consent.row-lock-timeout, 20 s in this profile, and the others must be ended in 10).
     * Then the same run ends the two once they are free: it does not leave them to a later run, which checks could find
     * holding them again, and again (it used to return having passed over them).
     */
    @Test
    void aSweepEndsTheOthersFirstThenWaitsForTheConsentsHeldElsewhere() throws Exception {
        List<String> ids = dueConsents(6);
        ExecutorService replica = Executors.newSingleThreadExecutor();
        try (Connection check = database(); Connection otherSweep = database()) {
            check.setAutoCommit(false);
            otherSweep.setAutoCommit(false);
            holdShared(check, ids.get(0));
            holdForChange(otherSweep, ids.get(1));
            Future<Integer> run = replica.submit(() -> sweepOnce(sweep));
            awaitExpired(ids.subList(2, ids.size()), Duration.ofSeconds(10),
                    "the sweep is waiting for a consent someone else holds before ending the others");
            assertEndedOnce(ids.subList(2, ids.size()));
            assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(ids.get(0)));
            assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(ids.get(1)));
            check.commit();        // the check is answered
            otherSweep.rollback(); // the other replica stopped before it ended its consent
            int ended = run.get(30, TimeUnit.SECONDS);
            assertEndedOnce(ids); // before any other run
            assertTrue(ended >= ids.size(), "this run ended all six: " + ended);  // and any others due
        } finally {
            replica.shutdownNow();
        }
    }

    /**
     * Two due consents stay held for the whole run (a stuck transaction, say): the run ends the others, waits for the
     * first held one once (consent.row-lock-timeout, 20 s here), and returns without waiting for the second: rows held
     * for long cost a run one wait, not one a consent. Both are left for a later run.
     */
    @Test
    void aRunWaitsOnceForConsentsThatStayHeld() throws Exception {
        List<String> ids = dueConsents(4);
        try (Connection stuck = database()) {
            stuck.setAutoCommit(false);
            holdForChange(stuck, ids.get(0));
            holdForChange(stuck, ids.get(1));
            long began = System.nanoTime();
            int ended = sweepOnce(sweep);
            Duration took = Duration.ofNanos(System.nanoTime() - began);
            assertTrue(took.compareTo(Duration.ofSeconds(35)) < 0, "one wait of 20 s, not two: " + took);
            assertEndedOnce(ids.subList(2, ids.size()));
            assertTrue(ended >= 2, "the free ones were ended: " + ended);
            assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(ids.get(0)));
            assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(ids.get(1)));
            stuck.rollback();
        }
        sweepOnce(sweep);
        assertEndedOnce(ids);
    }

    /**
     * Two replicas sweep at the same moment over the same due consents: together they end each exactly once (one
     * status change, one EXPIRED event), and the hash chain of the log stays intact.
     */
    @Test
    void twoSweepsAtOnceEndEachDueConsentOnce() throws Exception {
        List<String> ids = dueConsents(24);
        ExecutorService replicas = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                runs.add(replicas.submit(() -> {
                    start.await();
                    return sweepOnce(sweep);
                }));
            }
            start.countDown();
            int ended = 0;
            for (Future<Integer> run : runs) {
                ended += run.get(60, TimeUnit.SECONDS);
            }
            assertTrue(ended >= ids.size(), "the two runs together ended every due consent: " + ended);  // once each: below
        } finally {
            replicas.shutdownNow();
        }
        assertEndedOnce(ids);
        assertTrue(service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance()).getIntact());
    }
}
