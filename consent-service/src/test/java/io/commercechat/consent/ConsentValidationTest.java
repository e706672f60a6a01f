package io.commercechat.consent;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.CreateConsentResponse;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Bad input on every RPC is INVALID_ARGUMENT with a sentence, never INTERNAL. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentValidationTest extends ConsentTestSupport {

    /** 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z: protobuf's Timestamp range is [YEAR_1, YEAR_10000). */
    private static final long YEAR_1 = -62_135_596_800L;
    private static final long YEAR_10000 = 253_402_300_800L;

    /** The fields of every ConsentService request: a description a caller can act on names the one to fix. */
    private static final Set<String> REQUEST_FIELDS = CreateConsentRequest.getDescriptor().getFile()
            .findServiceByName("ConsentService").getMethods().stream()
            .flatMap(m -> m.getInputType().getFields().stream()).map(FieldDescriptor::getName).collect(Collectors.toSet());

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
        cases.put("empty account id", () -> service().createConsent(request(user).addAccountIds("").build()));
        cases.put("oversized account id", () -> service().createConsent(request(user).addAccountIds("a".repeat(65)).build()));
        cases.put("more than 50 account_ids", () -> service().createConsent(request(user).addAllAccountIds(accounts(51)).build()));
        cases.put("oversized bank_id", () -> service().createConsent(request(user).setBankId("b".repeat(65)).build()));
        cases.put("transaction window reversed", () -> service().createConsent(request(user)
                .setTransactionFrom(Timestamp.newBuilder().setSeconds(2_000_000_000L))
                .setTransactionTo(Timestamp.newBuilder().setSeconds(1_000_000_000L)).build()));
        cases.put("invalid timestamp", () -> service().createConsent(request(user)
                .setTransactionFrom(Timestamp.newBuilder().setSeconds(1).setNanos(-4)).build()));
        // protobuf's range is 0001-01-01 .. 9999-12-31; beyond it Instant overflows or PostgreSQL would keep a date
        // no contract can carry back
        cases.put("transaction_to after year 9999", () -> service().createConsent(request(user)
                .setTransactionTo(Timestamp.newBuilder().setSeconds(YEAR_10000)).build()));
        cases.put("transaction_from before year 1", () -> service().createConsent(request(user)
                .setTransactionFrom(Timestamp.newBuilder().setSeconds(YEAR_1 - 1)).build()));
        cases.put("transaction_to beyond Instant's range", () -> service().createConsent(request(user)
                .setTransactionTo(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)).build()));
        cases.put("transaction_from with a second's worth of nanos", () -> service().createConsent(request(user)
                .setTransactionFrom(Timestamp.newBuilder().setSeconds(1).setNanos(1_000_000_000)).build()));
        cases.put("transaction_to with negative nanos", () -> service().createConsent(request(user)
                .setTransactionTo(Timestamp.newBuilder().setSeconds(1).setNanos(-1)).build()));
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
        cases.put("more than 50 account_ids (authorise)", () -> service().authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(pending).setUserId(user).addAllAccountIds(accounts(51)).build()));
        cases.put("authorise without user_id", () -> service().authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(pending).build()));
        cases.put("authorise with oversized user_id", () -> service().authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(pending).setUserId(longText).build()));
        cases.put("authorise with a NUL in user_id", () -> service().authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(pending).setUserId(user + "\u0000").build()));
        cases.put("consents of a user_id with a NUL character", () -> service().listConsents(ListConsentsRequest.newBuilder()
                .setUserId(user + "\u0000").build()));
        cases.put("access records of a user_id with a NUL character", () -> service().listAccessRecords(
                ListAccessRecordsRequest.newBuilder().setUserId(user + "\u0000").build()));
        cases.put("revoke without actor", () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").build()));
        cases.put("revoke with unknown actor", () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setRevokedByValue(17).build()));
        cases.put("revoke without consent id", () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setRevokedBy(Actor.ACTOR_USER).build()));
        cases.put("revoke with oversized reason", () -> service().revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setRevokedBy(Actor.ACTOR_USER).setReason(longText).build()));
        cases.put("reject without consent id", () -> service().rejectConsent(RejectConsentRequest.getDefaultInstance()));
        cases.put("list without user", () -> service().listConsents(ListConsentsRequest.getDefaultInstance()));
        cases.put("list with huge page", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).setPageSize(100_000).build()));
        cases.put("list with negative page", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).setPageSize(-1).build()));
        cases.put("list with forged token", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).setPageToken("%%%").build()));
        cases.put("list with unknown status", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user).addStatusesValue(77).build()));
        cases.put("list with unspecified status", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user)
                .addStatuses(ConsentStatus.CONSENT_STATUS_UNSPECIFIED).build()));
        cases.put("list with malformed bank_id", () -> service().listConsents(ListConsentsRequest.newBuilder().setUserId(user)
                .setBankId("Bank With Spaces!").build()));
        cases.put("check without permission", () -> service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
        cases.put("check with unknown purpose", () -> service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurposeValue(9).build()));
        cases.put("check with malformed consent id", () -> service().checkAccess(CheckAccessRequest.newBuilder().setUserId(user)
                .setBankId("sandbox-bank").setAccountId("acc-1").setPermission(Permission.PERMISSION_BALANCES).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW)
                .setConsentId("nope").build()));
        cases.put("check without user_id", () -> service().checkAccess(balancesCheck("")));
        cases.put("check without bank_id", () -> service().checkAccess(balancesCheck(user).toBuilder().setBankId("").build()));
        cases.put("check balances without account_id", () -> service().checkAccess(balancesCheck(user).toBuilder()
                .setAccountId("").build()));
        cases.put("check with oversized account_id", () -> service().checkAccess(balancesCheck(user).toBuilder()
                .setAccountId("a".repeat(65)).build()));
        cases.put("access records with malformed consent id", () -> service().listAccessRecords(ListAccessRecordsRequest.newBuilder()
                .setUserId(user).setConsentId("nope").build()));
        cases.put("access records without user", () -> service().listAccessRecords(ListAccessRecordsRequest.getDefaultInstance()));
        cases.put("access records with huge page", () -> service().listAccessRecords(ListAccessRecordsRequest.newBuilder()
                .setUserId(user).setPageSize(100_000).build()));
        cases.put("access records with negative page", () -> service().listAccessRecords(ListAccessRecordsRequest.newBuilder()
                .setUserId(user).setPageSize(-1).build()));
        cases.put("access records with forged token", () -> service().listAccessRecords(ListAccessRecordsRequest.newBuilder()
                .setUserId(user).setPageToken("%%%").build()));
        cases.put("receipt without consent id", () -> service().getReceipt(GetReceiptRequest.getDefaultInstance()));
        cases.put("receipt with malformed consent id", () -> service().getReceipt(GetReceiptRequest.newBuilder()
                .setConsentId("nope").build()));
        cases.put("receipt with unknown kind", () -> service().getReceipt(GetReceiptRequest.newBuilder()
                .setConsentId("00000000-0000-0000-0000-000000000000").setKindValue(12).build()));
        cases.put("watch from a negative position", () -> service().watchConsentEvents(WatchConsentEventsRequest.newBuilder()
                .setAfterPosition(-1).build()).hasNext());
        // every row is run and reported (one refusal missing does not hide another); the sentence names what to fix
        assertAll(cases.entrySet().stream().map(c -> () -> {
            String description;
            try {
                description = assertStatus(Status.Code.INVALID_ARGUMENT, c.getValue()).getStatus().getDescription();
            } catch (AssertionError failed) {
                throw new AssertionError(c.getKey() + ": " + failed.getMessage(), failed);
            }
            assertTrue(REQUEST_FIELDS.stream().anyMatch(description::contains),
                    c.getKey() + ": the description names no request field: " + description);
        }));
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

    /**
     * The limits are inclusive: 50 account_ids, and the first and last instants a Timestamp can carry, are accepted, and
     * kept as they were given (to PostgreSQL's µs), through the answer, GetConsent, the authorisation and its receipt.
     */
    @Test
    void theEdgesOfTheLimitsAreAccepted() throws Exception {
        String user = newPerson();
        Timestamp first = Timestamp.newBuilder().setSeconds(YEAR_1).build();
        Timestamp last = Timestamp.newBuilder().setSeconds(YEAR_10000 - 1).setNanos(999_999_999).build();
        Timestamp lastKept = last.toBuilder().setNanos(999_999_000).build();
        List<String> fifty = accounts(50);
        // a repeated account is one account: the scope is a set (its order kept), as the bank's selection may repeat one
        List<String> repeated = new ArrayList<>(fifty.subList(0, 49));
        repeated.add(fifty.get(0));
        Consent created = service().createConsent(request(user).addAllAccountIds(fifty)
                .setTransactionFrom(first).setTransactionTo(last).build()).getConsent();
        assertEquals(fifty, created.getAccountIdsList());
        assertEquals(first, created.getTransactionFrom());
        assertEquals(lastKept, created.getTransactionTo());
        assertEquals(created, service().getConsent(GetConsentRequest.newBuilder().setConsentId(created.getId()).build())
                .getConsent(), "read back as it was answered");

        Consent authorised = service().authoriseConsent(authoriseRequest(created.getId()).addAllAccountIds(repeated).build())
                .getConsent();
        assertEquals(ConsentStatus.CONSENT_STATUS_AUTHORISED, authorised.getStatus());
        assertEquals(fifty.subList(0, 49), authorised.getAccountIdsList());
        assertEquals(first, authorised.getTransactionFrom());
        assertEquals(lastKept, authorised.getTransactionTo());
        String jws = service().getReceipt(GetReceiptRequest.newBuilder().setConsentId(created.getId()).build()).getJws();
        // the window the person agreed to, as the receipt states it
        JsonNode window = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(jws.split("\\.")[1])).get("transactionWindow");
        assertEquals("0001-01-01T00:00:00Z", window.get("from").asText());
        assertEquals("9999-12-31T23:59:59.999999Z", window.get("to").asText());
    }

    /**
     * A request the transport cannot read (not protobuf, cut short, a string that is not UTF-8, or none at all) is
     * INVALID_ARGUMENT naming the message it should have been, not INTERNAL "Half-closed without a request": the bytes
     * go out as they are, past the stubs' marshallers, and are parsed only by the service's transport.
     */
    @Test
    void anUnreadableRequestIsInvalidArgument() throws Exception {
        String token = ISSUER.service("test-fixture");
        byte[] valid = request(newPerson()).build().toByteArray();
        Map<String, byte[]> unreadable = new LinkedHashMap<>();
        unreadable.put("garbage", "not a protobuf message".getBytes(StandardCharsets.UTF_8));
        unreadable.put("a valid request cut short", Arrays.copyOf(valid, 10));  // inside user_id
        unreadable.put("user_id not UTF-8", new byte[] {0x0A, 0x02, (byte) 0xC3, 0x28});  // field 1, 2 bytes: C3 28
        String createConsent = "the request could not be read: the call carried no valid "
                + "commercechat.consent.v1.CreateConsentRequest message";
        unreadable.forEach((what, bytes) -> {
            // each is unreadable indeed, as protobuf parses it
            assertThrows(InvalidProtocolBufferException.class, () -> CreateConsentRequest.parseFrom(bytes), what);
            var refused = assertStatus(Status.Code.INVALID_ARGUMENT, () -> ClientCalls.blockingUnaryCall(
                    channel, raw(ConsentServiceGrpc.getCreateConsentMethod()), withToken(token), bytes));
            assertEquals(createConsent, refused.getStatus().getDescription(), what);
        });
        Status none = halfClosedAfter(ConsentServiceGrpc.getCreateConsentMethod(), token);
        assertEquals(Status.Code.INVALID_ARGUMENT, none.getCode(), "a unary call with no request at all: " + none);
        assertEquals(createConsent, none.getDescription());
        // two requests on a unary call: refused, and neither is served
        String twice = newPerson();
        Status two = halfClosedAfter(ConsentServiceGrpc.getCreateConsentMethod(), token,
                request(twice).build().toByteArray(), request(twice).build().toByteArray());
        assertEquals(Status.Code.INVALID_ARGUMENT, two.getCode(), "a unary call with two requests: " + two);
        assertEquals("the call carried more than one commercechat.consent.v1.CreateConsentRequest message: it takes"
                + " exactly one", two.getDescription());
        assertEquals(0, service().listConsents(ListConsentsRequest.newBuilder().setUserId(twice).build()).getConsentsCount(),
                "neither of the two requests created a consent");
        // a server stream expects one request as well
        var stream = assertStatus(Status.Code.INVALID_ARGUMENT, () -> ClientCalls.blockingServerStreamingCall(channel,
                raw(ConsentServiceGrpc.getWatchConsentEventsMethod()), withToken(token), unreadable.get("garbage")).hasNext());
        assertEquals("the request could not be read: the call carried no valid "
                + "commercechat.consent.v1.WatchConsentEventsRequest message", stream.getStatus().getDescription());

        // authentication comes first: without a token, unreadable or not, the answer is UNAUTHENTICATED
        assertStatus(Status.Code.UNAUTHENTICATED, () -> ClientCalls.blockingUnaryCall(channel,
                raw(ConsentServiceGrpc.getCreateConsentMethod()), CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS),
                unreadable.get("garbage")));
        // and a readable request on the same raw path is served as ever
        CreateConsentResponse created = CreateConsentResponse.parseFrom(ClientCalls.blockingUnaryCall(channel,
                raw(ConsentServiceGrpc.getCreateConsentMethod()), withToken(token), valid));
        assertEquals(CreateConsentRequest.parseFrom(valid).getUserId(), created.getConsent().getUserId());
        assertEquals(ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, created.getConsent().getStatus());
    }

    /** Bytes as they are, both ways. */
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** The same RPC (name and type) with the request and response as bytes. */
    private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
        return method.toBuilder(BYTES, BYTES).build();
    }

    private static CallOptions withToken(String token) {
        return CallOptions.DEFAULT.withCallCredentials(GrpcCalls.bearer(token)).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private Status halfClosedAfter(MethodDescriptor<?, ?> method, String token, byte[]... requests) throws Exception {
        return GrpcCalls.halfClosedAfter(channel, raw(method), withToken(token), List.of(requests));
    }

    /** {@code n} distinct, well-formed account ids. */
    private static List<String> accounts(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "acc-" + i).toList();
    }
}
