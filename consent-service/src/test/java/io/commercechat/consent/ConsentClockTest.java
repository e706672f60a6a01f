package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.consent.lifecycle.service.ConsentSweep;
import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Time-bound validity is decided by the database's clock, whatever the clock of the replica that decides: the
 * database's clock is moved an hour away from the JVM's (DatabaseClockSkew), far more than replicas drift, so that a
 * decision by the JVM's clock cannot pass for one by the database's.
 */
@QuarkusTest
@TestProfile(SweepOnDemand.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentClockTest extends ConsentTestSupport {

    @Inject
    ConsentSweep sweep;

    @BeforeEach
    void databaseClockAsPostgresKeepsIt() throws SQLException {
        DatabaseClockSkew.reset();
    }

    @AfterEach
    void databaseClockBack() throws SQLException {
        DatabaseClockSkew.setAhead(Duration.ZERO);
    }

    /** The consent's expiry, set {@code fromDatabaseNow} from the database's (moved) clock. */
    private static void expiresAt(String consentId, Duration fromDatabaseNow) throws SQLException {
        try (var c = database(); var ps = c.prepareStatement("update consents set expires_at = " + DatabaseClockSkew.NOW
                + " + make_interval(secs => ?) where id = ?::uuid")) {
            ps.setDouble(1, fromDatabaseNow.toMillis() / 1000.0);
            ps.setString(2, consentId);
            assertEquals(1, ps.executeUpdate());
        }
    }

    /** A boolean the database answers about {@code id} (an access record's or a consent's). */
    private static boolean holds(String sql, String id) throws SQLException {
        try (var c = database(); var ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                assertTrue(rs.next(), "no row for " + id);
                return rs.getBoolean(1);
            }
        }
    }

    private Consent get(String id) {
        return service().getConsent(GetConsentRequest.newBuilder().setConsentId(id).build()).getConsent();
    }

    /**
     * The database's clock is an hour ahead of this replica's, and the consent expired a second ago by it (in 59 minutes
     * by the JVM's): CheckAccess denies, GetConsent and ListConsents show it expired, and the sweep ends it, its event
     * stamped at or after the expiry. The denial's access record is stamped at or after the expiry too.
     */
    @Test
    void aConsentExpiredByTheDatabaseClockIsExpiredWhenTheReplicaClockIsBehind() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, service().checkAccess(balancesCheck(user)).getDecision());

        DatabaseClockSkew.setAhead(Duration.ofHours(1));
        expiresAt(id, Duration.ofSeconds(-1));
        CheckAccessResponse denied = service().checkAccess(balancesCheck(user));
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, denied.getDecision(), denied.getReason());
        assertTrue(denied.getReason().startsWith("the consent expired on "), denied.getReason());
        assertTrue(holds("select r.occurred_at >= c.expires_at from access_records r join consents c on c.id = r.consent_id"
                + " where r.id = ?::uuid", denied.getAccessRecordId()), "the access log shows the denial before the expiry");

        assertEquals(ConsentStatus.CONSENT_STATUS_EXPIRED, get(id).getStatus());
        ListConsentsRequest.Builder mine = ListConsentsRequest.newBuilder().setUserId(user);
        assertEquals(List.of(), service().listConsents(mine.clone().addStatuses(ConsentStatus.CONSENT_STATUS_AUTHORISED)
                .build()).getConsentsList(), "listed as authorised");
        assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(id), "nothing recorded before the sweep");

        sweepAll(sweep);
        assertEquals("CONSENT_STATUS_EXPIRED", storedStatus(id));
        assertEquals(1, eventsOf(id, ConsentEventType.CONSENT_EVENT_TYPE_EXPIRED));
        assertTrue(holds("select e.occurred_at >= c.expires_at from consent_events e join consents c on c.id = e.consent_id"
                + " where e.consent_id = ?::uuid and e.type = 'CONSENT_EVENT_TYPE_EXPIRED'", id), "the log has it expire early");
        assertEquals(Actor.ACTOR_SYSTEM, get(id).getEndedBy());
    }

    /**
     * The database's clock is an hour behind this replica's, and the consent expires in ten minutes by it (it expired 50
     * minutes ago by the JVM's): CheckAccess allows, the sweep leaves it, and the person can still revoke it.
     */
    @Test
    void aConsentLiveByTheDatabaseClockIsLiveWhenTheReplicaClockIsAhead() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);

        DatabaseClockSkew.setAhead(Duration.ofHours(-1));
        expiresAt(id, Duration.ofMinutes(10));
        CheckAccessResponse allowed = service().checkAccess(balancesCheck(user));
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, allowed.getDecision(), allowed.getReason());
        assertEquals(ConsentStatus.CONSENT_STATUS_AUTHORISED, get(id).getStatus());

        sweepAll(sweep);
        assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(id), "the sweep ended a consent that had not expired");
        assertEquals(0, eventsOf(id, ConsentEventType.CONSENT_EVENT_TYPE_EXPIRED));

        Consent revoked = as(ISSUER.person(user)).revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(id)
                .setRevokedBy(Actor.ACTOR_USER).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_REVOKED, revoked.getStatus());
    }

    /**
     * The database's clock is 20 minutes ahead, past the 15-minute authorisation window of a consent created just now:
     * AuthoriseConsent refuses it as lapsed, GetConsent shows it rejected, and the sweep records the lapse.
     */
    @Test
    void authorisationLapsesByTheDatabaseClock() throws Exception {
        String id = service().createConsent(request(newPerson()).build()).getConsent().getId();

        DatabaseClockSkew.setAhead(Duration.ofMinutes(20));
        var e = assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(authoriseRequest(id).build()));
        assertTrue(e.getStatus().getDescription().contains("lapsed"), e.getStatus().getDescription());
        assertEquals(ConsentStatus.CONSENT_STATUS_REJECTED, get(id).getStatus());

        sweepAll(sweep);
        assertEquals("CONSENT_STATUS_REJECTED", storedStatus(id));
        assertTrue(get(id).getStatusReason().contains("lapsed"), get(id).getStatusReason());
    }
}
