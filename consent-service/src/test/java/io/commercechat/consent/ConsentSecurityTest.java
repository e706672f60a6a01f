package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc.ConsentServiceBlockingStub;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
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
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The JWT matrix on every RPC, and a person acting on another person's consents. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentSecurityTest extends ConsentTestSupport {

    private ConsentServiceBlockingStub owners(String owner) {
        return as(ISSUER.person(owner));
    }

    /** One call per RPC, with a syntactically valid request. */
    private Map<String, Consumer<ConsentServiceBlockingStub>> everyRpc(String userId, String consentId) {
        Map<String, Consumer<ConsentServiceBlockingStub>> rpcs = new LinkedHashMap<>();
        rpcs.put("CreateConsent", s -> s.createConsent(request(userId).build()));
        rpcs.put("AuthoriseConsent", s -> s.authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId(consentId).build()));
        rpcs.put("RejectConsent", s -> s.rejectConsent(RejectConsentRequest.newBuilder().setConsentId(consentId).build()));
        rpcs.put("RevokeConsent", s -> s.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(consentId)
                .setRevokedBy(Actor.ACTOR_USER).build()));
        rpcs.put("GetConsent", s -> s.getConsent(GetConsentRequest.newBuilder().setConsentId(consentId).build()));
        rpcs.put("ListConsents", s -> s.listConsents(ListConsentsRequest.newBuilder().setUserId(userId).build()));
        rpcs.put("CheckAccess", s -> s.checkAccess(CheckAccessRequest.newBuilder().setUserId(userId).setBankId("sandbox-bank")
                .setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
        rpcs.put("ListAccessRecords", s -> s.listAccessRecords(ListAccessRecordsRequest.newBuilder().setUserId(userId).build()));
        rpcs.put("GetReceipt", s -> s.getReceipt(GetReceiptRequest.newBuilder().setConsentId(consentId).build()));
        rpcs.put("GetReceiptKeys", s -> s.getReceiptKeys(GetReceiptKeysRequest.getDefaultInstance()));
        rpcs.put("VerifyEventLog", s -> s.verifyEventLog(VerifyEventLogRequest.getDefaultInstance()));
        rpcs.put("WatchConsentEvents", s -> s.watchConsentEvents(WatchConsentEventsRequest.getDefaultInstance()).hasNext());
        return rpcs;
    }

    @Test
    void everyRpcRefusesMissingAndBrokenTokens() {
        String user = newPerson();
        String consentId = service().createConsent(request(user).build()).getConsent().getId();
        Map<String, String> broken = new LinkedHashMap<>();
        broken.put("expired", ISSUER.expired(user));
        broken.put("not yet valid", ISSUER.notYetValid(user));
        broken.put("wrong issuer", ISSUER.wrongIssuer(user));
        broken.put("wrong audience", ISSUER.wrongAudience(user));
        broken.put("bad signature", ISSUER.badSignature(user));
        broken.put("alg none", ISSUER.algNone(user));
        broken.put("missing sub", ISSUER.missingSub());
        broken.put("garbage", "not-a-jwt");
        var anonymous = io.commercechat.proto.consent.v1.ConsentServiceGrpc.newBlockingStub(channel);
        everyRpc(user, consentId).forEach((rpc, call) -> {
            assertStatus(Status.Code.UNAUTHENTICATED, () -> call.accept(anonymous));
            broken.forEach((what, token) -> {
                var e = assertStatus(Status.Code.UNAUTHENTICATED, () -> call.accept(as(token)));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), rpc + " with " + what);
            });
            assertStatus(Status.Code.PERMISSION_DENIED, () -> call.accept(as(ISSUER.partner("sandbox-bank"))));
            // a valid service token of a client that consent.callers.* does not name
            assertStatus(Status.Code.PERMISSION_DENIED, () -> call.accept(as(ISSUER.service("someone-else"))));
        });
    }

    /**
     * A provider may sign with an EC key (DESIGN.md section 4: RS256 or ES256 from the JWKS): ES256 tokens of a caller
     * and of a person are served; one signed by an EC key the JWKS does not hold is refused.
     */
    @Test
    void es256TokensFromThePublishedKeyAreAcceptedAndNoOtherEcKey() {
        var es256 = ISSUER.es256();
        String user = newPerson();
        String consentId = as(es256.service("test-fixture")).createConsent(request(user).build()).getConsent().getId();
        assertEquals(consentId, as(es256.person(user)).getConsent(GetConsentRequest.newBuilder().setConsentId(consentId)
                .build()).getConsent().getId());
        assertStatus(Status.Code.UNAUTHENTICATED, () -> as(es256.badSignature(user)).getConsent(
                GetConsentRequest.newBuilder().setConsentId(consentId).build()));
    }

    @Test
    void anotherPersonsConsentIdNeverOpensAccessNorItsLog() {
        String owner = newPerson();
        String consentId = service().createConsent(request(owner).build()).getConsent().getId();
        CheckAccessRequest.Builder check = CheckAccessRequest.newBuilder().setBankId("sandbox-bank")
                .setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).setConsentId(consentId);
        // a read checked for the owner under that consent: their log now holds a record of it
        service().checkAccess(check.clone().setUserId(owner).build());
        var owners = as(ISSUER.person(owner));
        assertTrue(owners.listAccessRecords(ListAccessRecordsRequest.newBuilder().setConsentId(consentId).build())
                .getRecordsCount() >= 1);
        // a service asking for another person under the owner's consent is denied, and the answer does not name it
        String mallory = newPerson();
        var forMallory = service().checkAccess(check.clone().setUserId(mallory).build());
        assertEquals(AccessDecision.ACCESS_DECISION_DENY, forMallory.getDecision());
        assertEquals("", forMallory.getConsentId());
        // that person filtering their own log by the owner's consent finds nothing of the owner's
        var malloryRecords = as(ISSUER.person(mallory)).listAccessRecords(ListAccessRecordsRequest.newBuilder()
                .setConsentId(consentId).build()).getRecordsList();
        assertTrue(malloryRecords.stream().noneMatch(r -> r.getUserId().equals(owner)), malloryRecords.toString());
    }

    @Test
    void aPersonNeverReachesAnotherPersonsConsent() {
        String owner = newPerson();
        String consentId = service().createConsent(request(owner).build()).getConsent().getId();
        var mallory = as(ISSUER.person(newPerson()));
        assertStatus(Status.Code.NOT_FOUND, () -> mallory.getConsent(GetConsentRequest.newBuilder().setConsentId(consentId).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId(consentId).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> mallory.rejectConsent(RejectConsentRequest.newBuilder().setConsentId(consentId).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> mallory.revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(consentId)
                .setRevokedBy(Actor.ACTOR_USER).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> mallory.getReceipt(GetReceiptRequest.newBuilder().setConsentId(consentId).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.listConsents(ListConsentsRequest.newBuilder().setUserId(owner).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.listAccessRecords(ListAccessRecordsRequest.newBuilder().setUserId(owner).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.createConsent(request(owner).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.checkAccess(CheckAccessRequest.newBuilder().setUserId(owner)
                .setBankId("sandbox-bank").setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.verifyEventLog(VerifyEventLogRequest.getDefaultInstance()));
        // nor their own: the approval happens at the bank, and the service that exchanged its code says so
        var ownAuthorise = assertStatus(Status.Code.PERMISSION_DENIED, () -> owners(owner).authoriseConsent(
                AuthoriseConsentRequest.newBuilder().setConsentId(consentId).build()));
        assertEquals("AuthoriseConsent is for mesh services only", ownAuthorise.getStatus().getDescription());
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, owners(owner).getConsent(GetConsentRequest.newBuilder()
                .setConsentId(consentId).build()).getConsent().getStatus());
        // nor their own: an access record names the service that read, and only a service reads bank data
        var ownCheck = assertStatus(Status.Code.PERMISSION_DENIED, () -> owners(owner).checkAccess(CheckAccessRequest.newBuilder()
                .setUserId(owner).setBankId("sandbox-bank").setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES)
                .setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
        assertEquals("CheckAccess is for mesh services only", ownCheck.getStatus().getDescription());
        assertEquals(0, owners(owner).listAccessRecords(ListAccessRecordsRequest.getDefaultInstance()).getRecordsCount(),
                "no record was written");
        assertStatus(Status.Code.PERMISSION_DENIED, () -> mallory.watchConsentEvents(WatchConsentEventsRequest.getDefaultInstance()).hasNext());
        // the person's own list does not show it either
        assertEquals(0, mallory.listConsents(ListConsentsRequest.getDefaultInstance()).getConsentsCount());
        // and the owner, acting with their own token, does see it
        var owners = as(ISSUER.person(owner));
        assertEquals(consentId, owners.getConsent(GetConsentRequest.newBuilder().setConsentId(consentId).build()).getConsent().getId());
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> owners.revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId(consentId).setRevokedBy(Actor.ACTOR_BANK).build()));
    }
}
