package io.commercechat.sandbox;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.BankConnectorGrpc;
import io.commercechat.proto.partner.v1.BeginAuthorisationRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.TestIssuer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.response.Response;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Real gRPC and HTTP over the network to the sandbox under test, with tokens from the test issuer. */
abstract class SandboxTestSupport {

    protected static final TestIssuer ISSUER = TestIssuer.get();
    protected static final String REDIRECT = "https://app.commercechat.test/links/callback";
    /** The PKCE verifier these tests begin their authorisations with (its challenge goes to BeginAuthorisation). */
    protected static final String VERIFIER = "test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    protected ManagedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    protected BankConnectorGrpc.BankConnectorBlockingStub as(String token) {
        return BankConnectorGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** The bank's registered client, with a token it got for the bank's audience. */
    protected BankConnectorGrpc.BankConnectorBlockingStub bank() {
        return as(ISSUER.forAudience("account-link-service", SandboxResource.BANK_AUDIENCE));
    }

    /** Every permission there is. */
    protected static BeginAuthorisationRequest.Builder authorisation(String state) {
        return authorisation(state, Permission.PERMISSION_ACCOUNTS_BASIC, Permission.PERMISSION_ACCOUNTS_DETAIL,
                Permission.PERMISSION_BALANCES, Permission.PERMISSION_TRANSACTIONS);
    }

    protected static BeginAuthorisationRequest.Builder authorisation(String state, Permission... permissions) {
        return BeginAuthorisationRequest.newBuilder().setState(state).setRedirectUri(REDIRECT)
                .addAllPermissions(List.of(permissions)).addPurposes(Purpose.PURPOSE_ACCOUNT_OVERVIEW)
                .setExpiresAt(com.google.protobuf.Timestamp.newBuilder()
                        .setSeconds(Instant.now().plus(Duration.ofDays(90)).getEpochSecond()))
                .setRequesterDisplayName("Commerce Chat").setConsentReference(UUID.randomUUID().toString())
                .setCodeChallenge(io.commercechat.support.Pkce.challenge(VERIFIER));
    }

    protected BeginAuthorisationResponse begin(String state) {
        return bank().beginAuthorisation(authorisation(state).build());
    }

    /** POSTs the person's decision on the authorisation page; returns the 303 response. */
    protected static Response decide(String requestId, String customer, List<String> accounts, String decision) {
        var spec = given().redirects().follow(false).contentType("application/x-www-form-urlencoded")
                .formParam("request", requestId).formParam("decision", decision);
        if (customer != null) {
            spec = spec.formParam("customer", customer);
        }
        if (accounts != null && !accounts.isEmpty()) {
            spec = spec.formParam("account", accounts.toArray());
        }
        return spec.post("/bank/authorise");
    }

    /** Approves as {@code customer} and returns the query parameters of the redirect. */
    protected static Map<String, String> approve(String requestId, String customer, List<String> accounts) {
        Response r = decide(requestId, customer, accounts, "approve");
        assertEquals(303, r.statusCode(), r.asString());
        String location = r.header("Location");
        assertTrue(location.startsWith(REDIRECT + "?"), location);
        return query(location);
    }

    protected static Map<String, String> query(String location) {
        Map<String, String> params = new HashMap<>();
        for (String pair : URI.create(location).getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return params;
    }

    /**
     * The NotifyAccessRevoked calls the platform received for {@code bankLinkId}, once there are {@code count} of them
     * (they may be sent in the background) and no more came in the 300 ms after; fails after 10 s.
     */
    protected static List<FakePlatform.Received<NotifyAccessRevokedRequest>> platformToldOf(String bankLinkId, int count)
            throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (FakePlatform.revocationsOf(bankLinkId).size() < count && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        Thread.sleep(300);  // notices go out in the background: a duplicate sent with the last one would come meanwhile
        List<FakePlatform.Received<NotifyAccessRevokedRequest>> calls = FakePlatform.revocationsOf(bankLinkId);
        assertEquals(count, calls.size(), "NotifyAccessRevoked calls for " + bankLinkId);
        return calls;
    }

    /** The whole flow: begin, approve as the customer with the accounts, exchange; every permission. */
    protected ExchangeCodeResponse link(String customer, List<String> accounts) {
        return link(customer, accounts, authorisation("state-" + UUID.randomUUID()).getPermissionsList().toArray(Permission[]::new));
    }

    /** The same, granting {@code permissions} only. */
    protected ExchangeCodeResponse link(String customer, List<String> accounts, Permission... permissions) {
        String state = "state-" + UUID.randomUUID();
        BeginAuthorisationResponse begun = bank().beginAuthorisation(authorisation(state, permissions).build());
        Map<String, String> redirect = approve(begun.getAuthorisationId(), customer, accounts);
        assertEquals(state, redirect.get("state"));
        return bank().exchangeCode(exchange(redirect.get("code")));
    }

    /** The exchange of {@code code} as the platform asks for it (the test's verifier and redirect URI). */
    protected static ExchangeCodeRequest exchange(String code) {
        return ExchangeCodeRequest.newBuilder().setCodeVerifier(VERIFIER).setCode(code).setRedirectUri(REDIRECT).build();
    }
}
