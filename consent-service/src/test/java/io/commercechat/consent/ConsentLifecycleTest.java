package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentLifecycleTest extends ConsentTestSupport {

    /** A read of account acc-1 (of the account list, for ACCOUNTS_BASIC), by account-link-service as in the mesh. */
    private CheckAccessResponse check(String user, Permission p, Purpose purpose) {
        return as(ISSUER.service("account-link-service")).checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank")
                .setAccountId(p == Permission.PERMISSION_ACCOUNTS_BASIC ? "" : "acc-1").setPermission(p).setPurpose(purpose).build());
    }

    /** A transaction window is answered as it is stored (µs), not with the nanoseconds the request carried. */
    @Test
    void aTransactionWindowIsKeptToTheMicrosecondEverywhere() {
        String user = newPerson();
        com.google.protobuf.Timestamp from = com.google.protobuf.Timestamp.newBuilder().setSeconds(1_767_225_600L)
                .setNanos(123_456_789).build();
        Consent created = service().createConsent(request(user).setTransactionFrom(from).build()).getConsent();
        assertEquals(123_456_000, created.getTransactionFrom().getNanos(), "the answer shows what is stored");
        Consent read = service().getConsent(GetConsentRequest.newBuilder().setConsentId(created.getId()).build()).getConsent();
        assertEquals(created.getTransactionFrom(), read.getTransactionFrom(), "the same when read again");
    }

    @Test
    void createAuthoriseCheckRevoke() {
        String user = newPerson();
        Consent created = service().createConsent(request(user).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, created.getStatus());
        assertEquals(user, created.getUserId());
        long days = (created.getExpiresAt().getSeconds() - created.getCreatedAt().getSeconds()) / 86400;
        assertEquals(90, days);

        // not yet authorised: denied, with the reason, and recorded
        CheckAccessResponse early = check(user, Permission.PERMISSION_BALANCES, Purpose.PURPOSE_ACCOUNT_OVERVIEW);
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, early.getDecision());
        assertTrue(early.getReason().contains("awaiting authorisation"), early.getReason());

        Consent authorised = service().authoriseConsent(authoriseRequest(created.getId()).addAccountIds("acc-1").build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_AUTHORISED, authorised.getStatus());
        assertTrue(authorised.getVersion() > created.getVersion());

        CheckAccessResponse ok = check(user, Permission.PERMISSION_BALANCES, Purpose.PURPOSE_ACCOUNT_OVERVIEW);
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, ok.getDecision(), ok.getReason());
        assertEquals(created.getId(), ok.getConsentId());
        assertEquals(AccessDecision.ACCESS_DECISION_DENY,
                check(user, Permission.PERMISSION_TRANSACTIONS, Purpose.PURPOSE_ACCOUNT_OVERVIEW).getDecision());
        assertEquals(AccessDecision.ACCESS_DECISION_DENY,
                check(user, Permission.PERMISSION_BALANCES, Purpose.PURPOSE_SPENDING_INSIGHTS).getDecision());
        CheckAccessResponse otherAccount = service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setAccountId("acc-2").setPermission(Permission.PERMISSION_BALANCES)
                .setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build());
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, otherAccount.getDecision());
        assertTrue(otherAccount.getReason().contains("not covered"), otherAccount.getReason());
        // balances and transactions are of one account: without one the account scope cannot be checked
        for (Permission p : List.of(Permission.PERMISSION_BALANCES, Permission.PERMISSION_TRANSACTIONS)) {
            var noAccount = assertStatus(Status.Code.INVALID_ARGUMENT, () -> service().checkAccess(CheckAccessRequest.newBuilder()
                    .setUserId(user).setBankId("sandbox-bank").setPermission(p).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
            assertTrue(noAccount.getStatus().getDescription().contains("account_id is required"), noAccount.getStatus().getDescription());
        }
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW,
                check(user, Permission.PERMISSION_ACCOUNTS_BASIC, Purpose.PURPOSE_ACCOUNT_OVERVIEW).getDecision(), "the account list");

        Consent revoked = as(ISSUER.person(user)).revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId(created.getId()).setRevokedBy(Actor.ACTOR_USER).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_REVOKED, revoked.getStatus());
        assertEquals(Actor.ACTOR_USER, revoked.getEndedBy());
        CheckAccessResponse after = check(user, Permission.PERMISSION_BALANCES, Purpose.PURPOSE_ACCOUNT_OVERVIEW);
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, after.getDecision());
        assertTrue(after.getReason().contains("revoked"), after.getReason());

        // every decision is in the person's access log, newest first
        var records = as(ISSUER.person(user)).listAccessRecords(ListAccessRecordsRequest.newBuilder().setPageSize(100).build());
        assertEquals(7, records.getRecordsCount());
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, records.getRecords(0).getDecision());
        assertEquals("account-link-service", records.getRecords(0).getService());
    }

    @Test
    void anAuthorisedConsentIsFoundBehindManyNewerUnfinishedOnes() {
        String user = newPerson();
        String live = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(live).build());
        for (int i = 0; i < 51; i++) { // links begun and never finished
            service().createConsent(request(user).build());
        }
        CheckAccessResponse ok = check(user, Permission.PERMISSION_BALANCES, Purpose.PURPOSE_ACCOUNT_OVERVIEW);
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, ok.getDecision(), ok.getReason());
        assertEquals(live, ok.getConsentId());

        // with none authorised, the newest says why
        String other = newPerson();
        service().createConsent(request(other).build());
        CheckAccessResponse denied = check(other, Permission.PERMISSION_BALANCES, Purpose.PURPOSE_ACCOUNT_OVERVIEW);
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, denied.getDecision());
        assertTrue(denied.getReason().contains("awaiting authorisation"), denied.getReason());
        assertEquals("no consent for this bank",
                check(newPerson(), Permission.PERMISSION_BALANCES, Purpose.PURPOSE_ACCOUNT_OVERVIEW).getReason());
    }

    @Test
    void aConsentPastItsExpiryIsNotRevokedBeforeTheSweepRecordsIt() throws Exception {
        String user = newPerson();
        String id = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(id).build());
        expireNow(id);
        // the sweep (not scheduled in tests) has not run: the consent ended by expiry, not by the person
        var e = assertStatus(Status.Code.FAILED_PRECONDITION, () -> as(ISSUER.person(user)).revokeConsent(RevokeConsentRequest
                .newBuilder().setConsentId(id).setRevokedBy(Actor.ACTOR_USER).build()));
        assertTrue(e.getStatus().getDescription().contains("expired"), e.getStatus().getDescription());

        // it reads as the sweep will record it, not as authorised, and not as revoked
        Consent seen = service().getConsent(GetConsentRequest.newBuilder().setConsentId(id).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_EXPIRED, seen.getStatus());
        assertEquals(Actor.ACTOR_SYSTEM, seen.getEndedBy());
        assertTrue(seen.getStatusReason().contains("expired"), seen.getStatusReason());
        ListConsentsRequest.Builder mine = ListConsentsRequest.newBuilder().setUserId(user);
        assertEquals(List.of(), service().listConsents(mine.clone().addStatuses(ConsentStatus.CONSENT_STATUS_AUTHORISED).build())
                .getConsentsList(), "listed as authorised");
        var expired = service().listConsents(mine.clone().addStatuses(ConsentStatus.CONSENT_STATUS_EXPIRED).build()).getConsentsList();
        assertEquals(List.of(id), expired.stream().map(Consent::getId).toList());
        assertEquals(ConsentStatus.CONSENT_STATUS_EXPIRED, expired.get(0).getStatus());
        assertEquals(ConsentStatus.CONSENT_STATUS_EXPIRED, service().listConsents(mine.build()).getConsents(0).getStatus());
        assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(id), "nothing written until the sweep records the expiry");
    }

    @Test
    void illegalTransitionsAreFailedPrecondition() {
        String user = newPerson();
        String id = service().createConsent(request(user).build()).getConsent().getId();
        var revokeEarly = assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().revokeConsent(
                RevokeConsentRequest.newBuilder().setConsentId(id).setRevokedBy(Actor.ACTOR_USER).build()));
        assertTrue(revokeEarly.getStatus().getDescription().contains("awaiting authorisation"));
        service().rejectConsent(RejectConsentRequest.newBuilder().setConsentId(id).setReason("declined").build());
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(authoriseRequest(id).build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().rejectConsent(
                RejectConsentRequest.newBuilder().setConsentId(id).build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().revokeConsent(
                RevokeConsentRequest.newBuilder().setConsentId(id).setRevokedBy(Actor.ACTOR_BANK).build()));

        String second = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(second).build());
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(authoriseRequest(second).build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().rejectConsent(
                RejectConsentRequest.newBuilder().setConsentId(second).build()));
        service().revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(second).setRevokedBy(Actor.ACTOR_BANK).build());
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().revokeConsent(
                RevokeConsentRequest.newBuilder().setConsentId(second).setRevokedBy(Actor.ACTOR_USER).build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(authoriseRequest(second).build()));
        assertEquals(Actor.ACTOR_BANK, service().getConsent(GetConsentRequest.newBuilder().setConsentId(second).build())
                .getConsent().getEndedBy());
    }

    /**
     * Optimistic concurrency as a caller uses it: AuthoriseConsent with the version it read (CreateConsent's answer,
     * GetConsent) goes through; with a version read before the consent changed, or one it never had, it is refused by
     * the version guard, which says what the consent is now, and nothing changes.
     */
    @Test
    void authorisationWithTheVersionReadIsRefusedOnceTheConsentChanged() {
        String user = newPerson();
        Consent created = service().createConsent(request(user).build()).getConsent();
        assertTrue(created.getVersion() > 0, "a version the guard checks (0 means no check): " + created.getVersion());
        Consent read = service().getConsent(GetConsentRequest.newBuilder().setConsentId(created.getId()).build()).getConsent();
        assertEquals(created.getVersion(), read.getVersion());
        Consent authorised = service().authoriseConsent(authoriseRequest(read.getId()).setExpectedVersion(read.getVersion())
                .build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_AUTHORISED, authorised.getStatus());
        assertTrue(authorised.getVersion() > read.getVersion());

        // read, then declined at the bank before the authorisation arrives
        Consent stale = service().createConsent(request(user).build()).getConsent();
        service().rejectConsent(RejectConsentRequest.newBuilder().setConsentId(stale.getId()).build());
        var changed = assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(
                authoriseRequest(stale.getId()).setExpectedVersion(stale.getVersion()).build()));
        assertEquals("the consent is at version " + (stale.getVersion() + 1) + ", not the expected version "
                + stale.getVersion() + ": it is rejected (declined at the bank)",
                changed.getStatus().getDescription(), "refused by the version guard, saying what the consent is now");

        Consent pending = service().createConsent(request(user).build()).getConsent();
        var never = assertStatus(Status.Code.FAILED_PRECONDITION, () -> service().authoriseConsent(
                authoriseRequest(pending.getId()).setExpectedVersion(pending.getVersion() + 1).build()));
        assertTrue(never.getStatus().getDescription().startsWith("the consent is at version " + pending.getVersion()
                + ", not the expected version " + (pending.getVersion() + 1)), never.getStatus().getDescription());
        Consent unchanged = service().getConsent(GetConsentRequest.newBuilder().setConsentId(pending.getId()).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, unchanged.getStatus());
        assertEquals(pending.getVersion(), unchanged.getVersion());
    }

    @Test
    void listConsentsPagesNewestFirstWithoutGapsOrRepeats() {
        String user = newPerson();
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(service().createConsent(request(user).build()).getConsent().getId());
        }
        service().createConsent(request(newPerson()).build()); // someone else's
        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            var page = as(ISSUER.person(user)).listConsents(ListConsentsRequest.newBuilder().setPageSize(3).setPageToken(token).build());
            page.getConsentsList().forEach(c -> {
                assertEquals(user, c.getUserId());
                assertFalse(seen.contains(c.getId()), "no repeats");
                seen.add(c.getId());
            });
            token = page.getNextPageToken();
            pages++;
        } while (!token.isEmpty());
        List<String> newestFirst = new ArrayList<>(created);
        Collections.reverse(newestFirst);
        assertEquals(newestFirst, seen, "the last created first, across pages");
        assertEquals(3, pages);
        var filtered = service().listConsents(ListConsentsRequest.newBuilder().setUserId(user)
                .addStatuses(ConsentStatus.CONSENT_STATUS_AUTHORISED).build());
        assertEquals(0, filtered.getConsentsCount());
        assertFalse(filtered.getNextPageToken().length() > 0);
    }

    /**
     * An expired consent is refused by the check itself, before any sweep has recorded the expiry (the sweep does
     * not run in this profile; ConsentExpiryTest sees it recorded).
     */
    @Test
    void expiryIsEnforcedAtCheckTimeBeforeAnySweep() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);
        CheckAccessRequest check = balancesCheck(user);
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, service().checkAccess(check).getDecision());
        expireNow(id);
        CheckAccessResponse denied = service().checkAccess(check);
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, denied.getDecision());
        assertTrue(denied.getReason().startsWith("the consent expired on "), denied.getReason());
        assertEquals("CONSENT_STATUS_AUTHORISED", storedStatus(id), "no sweep has run: the check itself refused");
    }
}
