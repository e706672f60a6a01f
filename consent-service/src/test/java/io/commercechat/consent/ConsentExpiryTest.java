package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lapse of unauthorised consents and expiry of authorised ones, at check time and by the sweep. */
@QuarkusTest
@TestProfile(ConsentExpiryTest.ShortWindows.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentExpiryTest extends ConsentTestSupport {

    private static final Duration WINDOW = Duration.ofSeconds(2);
    /** Well below the row-lock timeout of this profile, and far above what a sweep every second needs. */
    private static final Duration PASSED_OVER = Duration.ofSeconds(10);

    public static class ShortWindows implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // a sweep that waited for a busy row before ending the others would wait the row-lock timeout: 20 s, twice
            // what aBusyConsentDoesNotHoldUpTheSweepOfTheOthers allows (with 2 s, as shipped, a wait would not show)
            return Map.of("consent.authorisation-window", WINDOW.toString(), "consent.sweep-interval", "1s",
                    "consent.row-lock-timeout", "PT20S");
        }
    }

    /**
     * Waits until the sweep has recorded the status in the database (GetConsent shows a due consent's coming status
     * before), then returns the consent as GetConsent shows it.
     */
    private Consent awaitStatus(String id, ConsentStatus status) throws Exception {
        return awaitStatus(id, status, Instant.now().plus(Duration.ofSeconds(20)));
    }

    private Consent awaitStatus(String id, ConsentStatus status, Instant deadline) throws Exception {
        String stored;
        do {
            stored = storedStatus(id);
            if (status.name().equals(stored)) {
                return service().getConsent(GetConsentRequest.newBuilder().setConsentId(id).build()).getConsent();
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("consent stayed " + stored + ", expected " + status + " by " + deadline);
    }

    @Test
    void anUnauthorisedConsentLapses() throws Exception {
        String id = service().createConsent(request(newPerson()).build()).getConsent().getId();
        Thread.sleep(2500);
        var e = assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(authoriseRequest(id).build()));
        assertTrue(e.getStatus().getDescription().contains("lapsed"), e.getStatus().getDescription());
        Consent lapsed = awaitStatus(id, ConsentStatus.CONSENT_STATUS_REJECTED);
        assertTrue(lapsed.getStatusReason().contains("lapsed"));
    }

    /**
     * A consent whose row a check holds does not hold up the sweep of the due consents after it (one busy row used to end
     * the whole sweep, every time, as the busy one came first; then to hold it up for consent.row-lock-timeout; now it
     * is passed over at once, and waited for only after the others: ConsentSweepTest). Once free, it is ended too.
     * The first sweep after both lapsed (one a second) ends the other within PASSED_OVER of their lapse; one that waited
     * for the busy row first would take the row-lock timeout from when it ran, which is later still.
     */
    @Test
    void aBusyConsentDoesNotHoldUpTheSweepOfTheOthers() throws Exception {
        String busy = service().createConsent(request(newPerson()).build()).getConsent().getId();
        String next = service().createConsent(request(newPerson()).build()).getConsent().getId();
        // both lapse at the same moment: a sweep that found the busy one due alone would wait for it in its second look
        try (var c = database(); var ps = c.prepareStatement("update consents set created_at = now() where id in (?::uuid, ?::uuid)")) {
            ps.setString(1, busy);
            ps.setString(2, next);
            assertEquals(2, ps.executeUpdate());
        }
        Instant bothLapsed = Instant.now().plus(WINDOW); // the sweep takes busy first (created first)
        try (java.sql.Connection check = database()) {
            check.setAutoCommit(false);
            holdShared(check, busy);
            awaitStatus(next, ConsentStatus.CONSENT_STATUS_REJECTED, bothLapsed.plus(PASSED_OVER));
            assertEquals("CONSENT_STATUS_AWAITING_AUTHORISATION", storedStatus(busy));
            check.commit();
        }
        awaitStatus(busy, ConsentStatus.CONSENT_STATUS_REJECTED);
    }

    @Test
    void expiryIsEnforcedAtCheckTimeAndRecordedByTheSweep() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);
        CheckAccessRequest check = balancesCheck(user);
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, service().checkAccess(check).getDecision());

        // time passes: the consent reaches its expiry
        expireNow(id);
        var denied = service().checkAccess(check);
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, denied.getDecision());
        assertTrue(denied.getReason().contains("expired"), denied.getReason());

        Consent expired = awaitStatus(id, ConsentStatus.CONSENT_STATUS_EXPIRED);
        assertEquals(Actor.ACTOR_SYSTEM, expired.getEndedBy());
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, service().checkAccess(check).getDecision());
    }
}
