package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc.ConsentServiceBlockingStub;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.VerifyEventLogRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Least privilege for services, so that a compromised chat-service (the internet-facing edge) cannot act for people:
 * a refused call is PERMISSION_DENIED naming the service and the RPC and changes nothing, a service is known by the
 * client its token names, and the person tokens services forward work as before. The caller lists here are the test
 * profile's copies (%test.consent.callers.*: the shipped ones plus test-fixture); ConsentCallersAsShippedIT checks
 * the shipped lines themselves.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentCallersTest extends ConsentTestSupport {

    private ConsentServiceBlockingStub chatService() {
        return as(ISSUER.service("chat-service"));
    }

    private ConsentServiceBlockingStub accountLinkService() {
        return as(ISSUER.service("account-link-service"));
    }

    /**
     * Created with the person's own token, as account-link-service forwards it while linking, and authorised by
     * account-link-service with its own once the bank approved.
     */
    private String authorised(String user) {
        var person = as(ISSUER.person(user));
        String id = person.createConsent(request(user).build()).getConsent().getId();
        accountLinkService().authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId(id).setUserId(user).build());
        return id;
    }

    private String pending(String user) {
        return as(ISSUER.person(user)).createConsent(request(user).build()).getConsent().getId();
    }

    private static CheckAccessRequest balances(String user, String consentId) {
        return CheckAccessRequest.newBuilder().setUserId(user).setBankId("sandbox-bank").setAccountId("acc-1")
                .setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW)
                .setConsentId(consentId).build();
    }

    private static ConsentStatus status(ConsentServiceBlockingStub s, String consentId) {
        return s.getConsent(GetConsentRequest.newBuilder().setConsentId(consentId).build()).getConsent().getStatus();
    }

    /** Each call is PERMISSION_DENIED, and the answer names the service and the RPC. */
    private static void refused(String service, Map<String, Runnable> calls) {
        calls.forEach((rpc, call) -> {
            String why = assertStatus(Status.Code.PERMISSION_DENIED, call).getStatus().getDescription();
            assertTrue(why.contains(service) && why.contains(rpc), rpc + ": " + why);
        });
    }

    @Test
    void chatServicesOwnTokenCannotActForAnyone() {
        String owner = newPerson();
        String live = authorised(owner);
        String waiting = pending(owner);
        var chat = chatService();
        Map<String, Runnable> calls = new LinkedHashMap<>();
        calls.put("CreateConsent", () -> chat.createConsent(request(owner).build()));
        calls.put("AuthoriseConsent", () -> chat.authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId(waiting).build()));
        calls.put("RejectConsent", () -> chat.rejectConsent(RejectConsentRequest.newBuilder().setConsentId(waiting).build()));
        calls.put("RevokeConsent", () -> chat.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(live)
                .setRevokedBy(Actor.ACTOR_USER).build()));
        calls.put("GetConsent", () -> chat.getConsent(GetConsentRequest.newBuilder().setConsentId(live).build()));
        calls.put("ListConsents", () -> chat.listConsents(ListConsentsRequest.newBuilder().setUserId(owner).build()));
        calls.put("CheckAccess", () -> chat.checkAccess(balances(owner, live)));
        calls.put("ListAccessRecords", () -> chat.listAccessRecords(ListAccessRecordsRequest.newBuilder().setUserId(owner).build()));
        calls.put("GetReceipt", () -> chat.getReceipt(GetReceiptRequest.newBuilder().setConsentId(live).build()));
        calls.put("VerifyEventLog", () -> chat.verifyEventLog(VerifyEventLogRequest.getDefaultInstance()));
        refused("chat-service", calls);

        // nothing happened: both consents as they were, and no (fake) read in the person's access log
        var person = as(ISSUER.person(owner));
        assertEquals(ConsentStatus.CONSENT_STATUS_AUTHORISED, status(person, live));
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, status(person, waiting));
        assertEquals(0, person.listAccessRecords(ListAccessRecordsRequest.getDefaultInstance()).getRecordsCount());
    }

    @Test
    void chatServiceKeepsItsOwnCallsAndForwardedPersonTokensWorkAsBefore() throws Exception {
        String owner = newPerson();
        String live = authorised(owner);
        assertTrue(chatService().getReceiptKeys(GetReceiptKeysRequest.getDefaultInstance()).getJwksJson()
                .contains(ReceiptKeyResource.KEY_ID));
        assertTrue(firstWatchedPosition(chatService()) > 0);

        // what chat-service does for the person, with the person's token
        var person = as(ISSUER.person(owner));
        assertEquals(1, person.listConsents(ListConsentsRequest.getDefaultInstance()).getConsentsCount());
        assertEquals(ReceiptKind.RECEIPT_KIND_AUTHORISATION, person.getReceipt(GetReceiptRequest.newBuilder().setConsentId(live)
                .setKind(ReceiptKind.RECEIPT_KIND_AUTHORISATION).build()).getKind());
        Consent revoked = person.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(live)
                .setRevokedBy(Actor.ACTOR_USER).build()).getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_REVOKED, revoked.getStatus());
        assertEquals(Actor.ACTOR_USER, revoked.getEndedBy());
        assertEquals(0, person.listAccessRecords(ListAccessRecordsRequest.getDefaultInstance()).getRecordsCount());
    }

    @Test
    void accountLinkServiceDoesWhatLinkingNeedsAndNoMore() throws Exception {
        String owner = newPerson();
        var als = accountLinkService();
        var person = as(ISSUER.person(owner));

        // reads are checked and logged with its name
        String live = authorised(owner);
        CheckAccessResponse check = als.checkAccess(balances(owner, live));
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, check.getDecision(), check.getReason());
        var records = person.listAccessRecords(ListAccessRecordsRequest.getDefaultInstance());
        assertEquals(1, records.getRecordsCount());
        assertEquals("account-link-service", records.getRecords(0).getService());

        // it authorises what the person approved at the bank, as the person's doing; for that person only
        String other = newPerson();
        String approved = pending(owner);
        assertStatus(Status.Code.NOT_FOUND, () -> als.authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(approved).setUserId(other).build()));
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, status(person, approved));
        var unnamed = assertStatus(Status.Code.INVALID_ARGUMENT, () -> als.authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(approved).build()));
        assertEquals("user_id is required: the person whose consent it is", unnamed.getStatus().getDescription());
        als.authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId(approved).setUserId(owner).build());
        assertEquals(ConsentStatus.CONSENT_STATUS_AUTHORISED, status(person, approved));
        try (var c = database(); var ps = c.prepareStatement("select actor from consent_events where consent_id = ?::uuid"
                + " and type = 'CONSENT_EVENT_TYPE_AUTHORISED'")) {
            ps.setString(1, approved);
            var rs = ps.executeQuery();
            assertTrue(rs.next());
            assertEquals(Actor.ACTOR_USER.name(), rs.getString(1), "the person's approval, relayed by the service");
        }

        // it ends consents: the bank revoked, the person unlinked (retried without their token), a link failed
        assertEquals(Actor.ACTOR_BANK, als.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(live)
                .setRevokedBy(Actor.ACTOR_BANK).build()).getConsent().getEndedBy());
        assertEquals(Actor.ACTOR_USER, als.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(authorised(owner))
                .setRevokedBy(Actor.ACTOR_USER).build()).getConsent().getEndedBy());
        assertEquals(Actor.ACTOR_SYSTEM, als.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(authorised(owner))
                .setRevokedBy(Actor.ACTOR_SYSTEM).build()).getConsent().getEndedBy());
        String waiting = pending(owner);
        assertEquals(ConsentStatus.CONSENT_STATUS_REJECTED, als.rejectConsent(RejectConsentRequest.newBuilder()
                .setConsentId(waiting).setReason("the link failed").build()).getConsent().getStatus());
        assertTrue(firstWatchedPosition(als) > 0);

        // but creating and reading people's consents and logs it does with the person's token only
        String next = pending(owner);
        Map<String, Runnable> calls = new LinkedHashMap<>();
        calls.put("CreateConsent", () -> als.createConsent(request(owner).build()));
        calls.put("GetConsent", () -> als.getConsent(GetConsentRequest.newBuilder().setConsentId(next).build()));
        calls.put("ListConsents", () -> als.listConsents(ListConsentsRequest.newBuilder().setUserId(owner).build()));
        calls.put("ListAccessRecords", () -> als.listAccessRecords(ListAccessRecordsRequest.newBuilder().setUserId(owner).build()));
        calls.put("GetReceipt", () -> als.getReceipt(GetReceiptRequest.newBuilder().setConsentId(live).build()));
        calls.put("VerifyEventLog", () -> als.verifyEventLog(VerifyEventLogRequest.getDefaultInstance()));
        refused("account-link-service", calls);
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, status(person, next));
    }

    @Test
    void aServiceIsKnownByTheClientItsTokenWasIssuedTo() {
        String owner = newPerson();
        String live = authorised(owner);
        // azp names the client; a sub that names another service changes nothing
        var e = assertStatus(Status.Code.PERMISSION_DENIED, () -> as(ISSUER.serviceIssuedTo("account-link-service", "chat-service"))
                .checkAccess(balances(owner, live)));
        assertTrue(e.getStatus().getDescription().startsWith("chat-service may not"), e.getStatus().getDescription());
        assertEquals(AccessDecision.ACCESS_DECISION_ALLOW, as(ISSUER.serviceIssuedTo("chat-service", "account-link-service"))
                .checkAccess(balances(owner, live)).getDecision());
        // a service token that names no client, and a service nobody named, get nothing
        var unnamed = assertStatus(Status.Code.PERMISSION_DENIED, () -> as(ISSUER.serviceIssuedTo("account-link-service", null))
                .checkAccess(balances(owner, live)));
        assertTrue(unnamed.getStatus().getDescription().contains("azp"), unnamed.getStatus().getDescription());
        refused("someone-else", Map.of("CheckAccess", () -> as(ISSUER.service("someone-else")).checkAccess(balances(owner, live)),
                "WatchConsentEvents", () -> as(ISSUER.service("someone-else"))
                        .watchConsentEvents(WatchConsentEventsRequest.getDefaultInstance()).hasNext()));
        assertEquals(1, as(ISSUER.person(owner)).listAccessRecords(ListAccessRecordsRequest.getDefaultInstance()).getRecordsCount());
    }
}
