package io.commercechat.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentConcurrencyTest extends ConsentTestSupport {

    /** Runs every task at once; returns the codes (OK or the failure code) in task order. */
    private static List<Status.Code> race(List<Callable<Object>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Status.Code>> futures = new ArrayList<>();
            for (Callable<Object> task : tasks) {
                futures.add(pool.submit(() -> {
                    start.await();
                    try {
                        task.call();
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }));
            }
            start.countDown();
            List<Status.Code> codes = new ArrayList<>();
            for (Future<Status.Code> f : futures) {
                codes.add(f.get(60, TimeUnit.SECONDS));
            }
            return codes;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Checks that never pause (eight at once, each starting again as soon as it is answered) do not keep a revocation
     * from its consent: a waiting change goes ahead of the checks that come after it, so the revocation is not refused
     * (ABORTED after consent.row-lock-timeout) for want of a moment without a check, and every check after it is denied.
     */
    @Test
    void aRevocationIsNotStarvedByChecksThatNeverPause() throws Exception {
        for (int round = 0; round < 3; round++) {
            String user = newPerson();
            String id = service().createConsent(request(user).build()).getConsent().getId();
            service().authoriseConsent(authoriseRequest(id).build());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong checks = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> checkers = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    checkers.add(pool.submit(() -> {
                        while (!stop.get()) {
                            service().checkAccess(balancesCheck(user));
                            checks.incrementAndGet();
                        }
                        return null;
                    }));
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (checks.get() < 200) { // the checks overlap by now
                    assertTrue(System.nanoTime() < until && checkers.stream().noneMatch(Future::isDone),
                            "the checks stopped: " + checks.get());
                    Thread.sleep(10);
                }
                long before = checks.get();
                var revoked = service().revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(id)
                        .setRevokedBy(Actor.ACTOR_USER).build()).getConsent();
                assertEquals(ConsentStatus.CONSENT_STATUS_REVOKED, revoked.getStatus());
                assertTrue(checks.get() > before, "the checks went on while the revocation waited");
                assertEquals(AccessDecision.ACCESS_DECISION_DENY, service().checkAccess(balancesCheck(user)).getDecision());
                stop.set(true);
                for (Future<?> f : checkers) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
        }
    }

    @Test
    void concurrentAuthoriseAndRejectEndInOneState() throws Exception {
        for (int round = 0; round < 5; round++) {
            String user = newPerson();
            var created = service().createConsent(request(user).build()).getConsent();
            String id = created.getId();
            List<Callable<Object>> tasks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                tasks.add(() -> service().authoriseConsent(authoriseRequest(id).build()));
                tasks.add(() -> service().rejectConsent(RejectConsentRequest.newBuilder().setConsentId(id).build()));
            }
            List<Status.Code> codes = race(tasks);
            assertEquals(1, codes.stream().filter(c -> c == Status.Code.OK).count(), "exactly one wins: " + codes);
            assertTrue(codes.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.FAILED_PRECONDITION), codes.toString());
            var finalState = service().getConsent(GetConsentRequest.newBuilder().setConsentId(id).build()).getConsent();
            int winner = codes.indexOf(Status.Code.OK);
            assertEquals(winner % 2 == 0 ? ConsentStatus.CONSENT_STATUS_AUTHORISED : ConsentStatus.CONSENT_STATUS_REJECTED,
                    finalState.getStatus());
            assertEquals(created.getVersion() + 1, finalState.getVersion(), "one change after creation");
        }
    }

    @Test
    void concurrentRevocationsRevokeOnce() throws Exception {
        String user = newPerson();
        var created = service().createConsent(request(user).build()).getConsent();
        String id = created.getId();
        service().authoriseConsent(authoriseRequest(id).build());
        List<Callable<Object>> tasks = new ArrayList<>();
        List<Actor> actors = List.of(Actor.ACTOR_USER, Actor.ACTOR_BANK, Actor.ACTOR_SYSTEM, Actor.ACTOR_USER, Actor.ACTOR_BANK);
        for (Actor by : actors) {
            tasks.add(() -> service().revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(id).setRevokedBy(by).build()));
        }
        List<Status.Code> codes = race(tasks);
        assertEquals(1, codes.stream().filter(c -> c == Status.Code.OK).count(), codes.toString());
        // the others are told it has ended already, not failed by a deadlock or a serialization error
        assertTrue(codes.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.FAILED_PRECONDITION), codes.toString());
        var c = service().getConsent(GetConsentRequest.newBuilder().setConsentId(id).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_REVOKED, c.getStatus());
        assertEquals(created.getVersion() + 2, c.getVersion(), "authorised, then revoked once");
        assertEquals(actors.get(codes.indexOf(Status.Code.OK)), c.getEndedBy(), "ended by the revocation that took");
    }

    /**
     * A revocation waits for the checks that hold its consent (FOR SHARE) without holding up anyone else's changes
     * (it used to wait holding the log lock that every change of every person takes); held past
     * consent.row-lock-timeout (2 s) it fails with ABORTED and changes nothing.
     */
    @Test
    void aRevocationWaitingForChecksHoldsUpNoOneElse() throws Exception {
        String a = service().createConsent(request(newPerson()).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(a).build());
        String other = newPerson();
        String b = service().createConsent(request(other).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(b).build());
        Callable<Status> revokeA = () -> {
            try {
                service().revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(a).setRevokedBy(Actor.ACTOR_USER).build());
                return Status.OK;
            } catch (StatusRuntimeException e) {
                return e.getStatus();
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection check = database()) {
            check.setAutoCommit(false);
            holdShared(check, a); // as a check in flight does
            Future<Status> waiting = pool.submit(revokeA);
            Thread.sleep(500);
            assertFalse(waiting.isDone(), "the revocation waits for the check");

            var prompt = service().withDeadlineAfter(3, TimeUnit.SECONDS);
            prompt.createConsent(request(other).build());
            prompt.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(b).setRevokedBy(Actor.ACTOR_USER).build());
            assertEquals("CONSENT_STATUS_REVOKED", storedStatus(b));

            Status timedOut = waiting.get(15, TimeUnit.SECONDS);
            assertEquals(Status.Code.ABORTED, timedOut.getCode(), timedOut.toString());
            assertTrue(timedOut.getDescription().contains("try again"), timedOut.getDescription());
            assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(a));

            waiting = pool.submit(revokeA);
            Thread.sleep(500);
            assertFalse(waiting.isDone(), "the revocation waits for the check");
            check.commit(); // the check ends
            assertEquals(Status.Code.OK, waiting.get(10, TimeUnit.SECONDS).getCode());
        } finally {
            pool.shutdownNow();
        }
        assertEquals("CONSENT_STATUS_REVOKED", storedStatus(a));
    }

    /** Once RevokeConsent has returned, no CheckAccess that starts afterwards may allow. */
    @Test
    void noCheckAllowsAfterRevocationReturned() throws Exception {
        String user = newPerson();
        String id = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(id).build());
        CheckAccessRequest check = CheckAccessRequest.newBuilder().setUserId(user).setBankId("sandbox-bank")
                .setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build();
        AtomicLong revokedAt = new AtomicLong(Long.MAX_VALUE);
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicLong allowsBefore = new AtomicLong();
        AtomicLong checksAfter = new AtomicLong();
        ExecutorService checkers = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            checkers.submit(() -> {
                while (!stop.get()) {
                    long started = System.nanoTime();
                    AccessDecision d = service().checkAccess(check).getDecision();
                    if (started > revokedAt.get()) {
                        checksAfter.incrementAndGet();
                        if (d == AccessDecision.ACCESS_DECISION_ALLOW) {
                            violations.add("allowed a check started " + (started - revokedAt.get()) / 1000 + " µs after revocation");
                        }
                    } else if (d == AccessDecision.ACCESS_DECISION_ALLOW) {
                        allowsBefore.incrementAndGet();
                    }
                }
                return null;
            });
        }
        Thread.sleep(700); // let checks run (and allow) first
        service().revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(id).setRevokedBy(Actor.ACTOR_USER).build());
        revokedAt.set(System.nanoTime());
        Thread.sleep(700);
        stop.set(true);
        checkers.shutdown();
        assertTrue(checkers.awaitTermination(30, TimeUnit.SECONDS));
        assertTrue(allowsBefore.get() > 0, "checks before the revocation were allowed");
        assertTrue(checksAfter.get() > 0, "checks ran after the revocation");
        assertEquals(List.of(), new ArrayList<>(violations));
    }
}
