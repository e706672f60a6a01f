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

    public static class ShortWindows implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("consent.authorisation-window", "PT2S", "consent.sweep-interval", "1s");
        }
    }

    /**
     * Waits until the sweep has recorded the status in the database (GetConsent shows a due consent's coming status
     * before), then returns the consent as GetConsent shows it.
     */
    private Consent awaitStatus(String id, ConsentStatus status) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        String stored;
        do {
            stored = storedStatus(id);
            if (status.name().equals(stored)) {
                return service().getConsent(GetConsentRequest.newBuilder().setConsentId(id).build()).getConsent();
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("consent stayed " + stored + ", expected " + status);
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
     */
    @Test
    void aBusyConsentDoesNotHoldUpTheSweepOfTheOthers() throws Exception {
        String busy = service().createConsent(request(newPerson()).build()).getConsent().getId();
        String next = service().createConsent(request(newPerson()).build()).getConsent().getId();
        try (java.sql.Connection check = database()) {
            check.setAutoCommit(false);
            holdShared(check, busy);
            Thread.sleep(2500); // both lapse; the sweep takes the older (busy) one first
            awaitStatus(next, ConsentStatus.CONSENT_STATUS_REJECTED);
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
