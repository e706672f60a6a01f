package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad input on every RPC is INVALID_ARGUMENT with a sentence, never INTERNAL. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentValidationTest extends ConsentTestSupport {

    @Test
    void badInputIsInvalidArgument() {
        String user = newPerson();
        String longText = "x".repeat(5000);
        Map<String, Runnable> cases = new LinkedHashMap<>();
        cases.put("missing user_id", () -> service().createConsent(request("").build()));
        cases.put("missing bank_id", () -> service().createConsent(request(user).setBankId("").build()));
        cases.put("malformed bank_id", () -> service().createConsent(request(user).setBankId("Bank With Spaces!").build()));
        cases.put("oversized user_id", () -> service().createConsent(request(longText).build()));
        cases.put("no permissions", () -> service().createConsent(request(user).clearPermissions().build()));
        cases.put("unspecified permission", () -> service().createConsent(request(user).addPermissions(Permission.PERMISSION_UNSPECIFIED).build()));
        cases.put("unknown permission", () -> service().createConsent(request(user).addPermissionsValue(99).build()));
        cases.put("duplicate permission", () -> service().createConsent(request(user).addPermissions(Permission.PERMISSION_BALANCES).build()));
        cases.put("no purposes", () -> service().createConsent(request(user).clearPurposes().build()));
        cases.put("unknown purpose (e.g. advertising)", () -> service().createConsent(request(user).addPurposesValue(42).build()));
        cases.put("valid_days 0", () -> service().createConsent(request(user).setValidDays(0).build()));
        cases.put("expiry beyond 180 days", () -> service().createConsent(request(user).setValidDays(181).build()));
        cases.put("negative valid_days", () -> service().createConsent(request(user).setValidDays(-5).build()));
        cases.put("malformed account id", () -> service().createConsent(request(user).addAccountIds("acc 1; drop").build()));
        cases.put("transaction window reversed", () -> service().createConsent(request(user)
                .setTransactionFrom(Timestamp.newBuilder().setSeconds(2_000_000_000L))
                .setTransactionTo(Timestamp.newBuilder().setSeconds(1_000_000_000L)).build()));
        cases.put("invalid timestamp", () -> service().createConsent(request(user)
                .setTransactionFrom(Timestamp.newBuilder().setSeconds(1).setNanos(-4)).build()));
        cases.put("negative expected_version", () -> service().authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setUserId(user).setExpectedVersion(-1).build()));
        cases.put("malformed consent id (authorise)", () -> service().authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId("42").setUserId(newPerson()).build()));
        cases.put("missing consent id (get)", () -> service().getConsent(GetConsentRequest.getDefaultInstance()));
        cases.put("malformed consent id (reject)", () -> service().rejectConsent(RejectConsentRequest.newBuilder().setConsentId("zzz").build()));
        cases.put("oversized reason", () -> service().rejectConsent(RejectConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setReason(longText).build()));
        // PostgreSQL text cannot hold a NUL: refused as input, not failed in the write
        String pending = service().createConsent(request(user).build()).getConsent().getId();
        cases.put("reason with a NUL character", () -> service().rejectConsent(RejectConsentRequest.newBuilder()
                .setConsentId(pending).setReason("no\u0000thanks").build()));
        cases.put("user_id with a NUL character", () -> service().createConsent(request(user + "\u0000").build()));
        cases.put("consents of a user_id with a NUL character", () -> service().listConsents(ListConsentsRequest.newBuilder()
                .setUserId(user + "\u0000").build()));
        cases.put("access records of a user_id with a NUL character", () -> service().listAccessRecords(
                ListAccessRecordsRequest.newBuilder().setUserId(user + "\u0000").build()));
        cases.put("revoke without actor", () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").build()));
        cases.put("revoke with unknown actor", () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setRevokedByValue(17).build()));
        cases.put("list without user", () -> service().listConsents(ListConsentsRequest.getDefaultInstance()));
        cases.put("list with huge page", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).setPageSize(100_000).build()));
        cases.put("list with negative page", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).setPageSize(-1).build()));
        cases.put("list with forged token", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).setPageToken("%%%").build()));
        cases.put("list with unknown status", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).addStatusesValue(77).build()));
        cases.put("check without permission", () -> service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
        cases.put("check with unknown purpose", () -> service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurposeValue(9).build()));
        cases.put("check with malformed consent id", () -> service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW)
                .setConsentId("nope").build()));
        cases.put("access records with malformed consent id", () -> service().listAccessRecords(ListAccessRecordsRequest.newBuilder()
                .setUserId(user).setConsentId("nope").build()));
        cases.put("receipt with unknown kind", () -> service().getReceipt(GetReceiptRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setKindValue(12).build()));
        cases.put("watch from a negative position", () -> service().watchConsentEvents(WatchConsentEventsRequest.newBuilder()
                .setAfterPosition(-1).build()).hasNext());
        cases.forEach((name, call) -> {
            var e = assertStatus(Status.Code.INVALID_ARGUMENT, call);
            assertTrue(e.getStatus().getDescription().length() > 8, name + ": " + e.getStatus().getDescription());
        });
        // nothing was half-written by the refused calls: the one consent created above is still awaiting authorisation
        var consents = service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).build()).getConsentsList();
        assertEquals(List.of(pending), consents.stream().map(c -> c.getId()).toList());
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, consents.get(0).getStatus());
        // unknown but well-formed ids are NOT_FOUND
        assertStatus(Status.Code.NOT_FOUND, () -> service().getConsent(GetConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").build()));
        assertStatus(Status.Code.NOT_FOUND, () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setRevokedBy(Actor.ACTOR_USER).build()));
        // a well-formed list by status is fine
        service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).addStatuses(ConsentStatus.CONSENT_STATUS_REVOKED).build());
        CreateConsentRequest ok = request(user).setValidDays(180).build();
        assertTrue(service().createConsent(ok).getConsent().getId().length() == 36);
    }
}
