package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankConnectorGrpc;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.restassured.response.ValidatableResponse;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class FaultKnobsTest extends SandboxTestSupport {

    @AfterEach
    void recover() {
        given().delete("/sandbox/faults").then().statusCode(200);
    }

    private static void setFault(String body) {
        given().contentType("application/json").body(body).put("/sandbox/faults").then().statusCode(200);
    }

    @Test
    void failureRateOneMakesTheRpcUnavailableUntilReset() {
        ExchangeCodeResponse link = link("cust-ada", List.of("ada-current"));
        BankListAccountsRequest req = BankListAccountsRequest.newBuilder().setAccessToken(link.getAccessToken()).build();
        setFault("{\"rpc\":\"ListAccounts\",\"latencyMillis\":0,\"failureRate\":1}");
        var down = assertStatus(Status.Code.UNAVAILABLE, () -> bank().listAccounts(req));
        assertEquals("sandbox bank: injected failure", down.getStatus().getDescription());
        // other RPCs are unaffected
        bank().beginAuthorisation(authorisation("s").build());

        given().delete("/sandbox/faults").then().statusCode(200);
        assertEquals(1, bank().listAccounts(req).getAccountsCount(), "recovered");
    }

    @Test
    void latencyIsApplied() {
        bank().beginAuthorisation(authorisation("warm-up").build());
        setFault("{\"rpc\":\"begin-authorisation\",\"latencyMillis\":700,\"failureRate\":0}");
        long start = System.nanoTime();
        bank().beginAuthorisation(authorisation("s").build());
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMillis >= 700, "took " + tookMillis + " ms");
        given().get("/sandbox/faults").then().statusCode(200)
                .body("find { it.rpc == 'BeginAuthorisation' }.latencyMillis", equalTo(700));
    }

    @Test
    void starSetsEveryRpc() {
        setFault("{\"rpc\":\"*\",\"failureRate\":1}");
        assertStatus(Status.Code.UNAVAILABLE, () -> bank().beginAuthorisation(authorisation("s").build()));
        assertStatus(Status.Code.UNAVAILABLE, () -> bank().listAccounts(BankListAccountsRequest.getDefaultInstance()));
    }

    @Test
    void faultsDoNotBypassMeshAuthentication() {
        setFault("{\"rpc\":\"*\",\"failureRate\":1}");
        assertStatus(Status.Code.UNAUTHENTICATED, () -> as(ISSUER.person("p")).beginAuthorisation(authorisation("s").build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> as(ISSUER.forAudience("chat-service", SandboxResource.BANK_AUDIENCE))
                .beginAuthorisation(authorisation("s").build()));
    }

    @Test
    void aFaultForTheNextCallsOnlyLeavesTheRpcAsItWasAfterThem() {
        ExchangeCodeResponse link = link("cust-ada", List.of("ada-current"));
        BankListAccountsRequest req = BankListAccountsRequest.newBuilder().setAccessToken(link.getAccessToken()).build();
        setFault("{\"rpc\":\"ListAccounts\",\"failureRate\":1,\"calls\":2}");
        given().get("/sandbox/faults").then().statusCode(200)
                .body("find { it.rpc == 'ListAccounts' }.calls", equalTo(2), "find { it.rpc == 'GetBalances' }.calls", nullValue());
        assertStatus(Status.Code.UNAVAILABLE, () -> bank().listAccounts(req));
        assertStatus(Status.Code.UNAVAILABLE, () -> bank().listAccounts(req));
        assertEquals(1, bank().listAccounts(req).getAccountsCount(), "the third call is as before the setting");
        given().get("/sandbox/faults").then().statusCode(200)
                .body("find { it.rpc == 'ListAccounts' }.failureRate", equalTo(0.0f), "find { it.rpc == 'ListAccounts' }.calls",
                        nullValue());
    }

    /**
     * A failure before the work (the default) leaves the code unspent: the bank did nothing. A failure after the work is
     * an answer lost once the bank had acted: the code is spent and a token issued that the caller never received; the
     * code presented again is refused and that token revoked (RFC 6749 section 4.1.2).
     */
    @Test
    void anAnswerLostAfterTheExchangeLeavesATokenThatTheCodePresentedAgainRevokes() {
        String unspent = approvedCode("state-before-work");
        setFault("{\"rpc\":\"ExchangeCode\",\"failureRate\":1,\"calls\":1}");
        assertStatus(Status.Code.UNAVAILABLE, () -> bank().exchangeCode(exchange(unspent)));
        codeUse(unspent).body("spent", equalTo(false), "bankLinkId", nullValue(), "live", equalTo(false));
        assertEquals(List.of("ada-current"), bank().exchangeCode(exchange(unspent)).getAccountIdsList(), "nothing had happened");

        String code = approvedCode("state-after-work");
        setFault("{\"rpc\":\"ExchangeCode\",\"failureRate\":1,\"afterWork\":true,\"calls\":1}");
        var lost = assertStatus(Status.Code.UNAVAILABLE, () -> bank().exchangeCode(exchange(code)));
        assertEquals("sandbox bank: injected failure after the call was carried out (its answer is lost)",
                lost.getStatus().getDescription());
        codeUse(code).body("spent", equalTo(true), "bankLinkId", startsWith("bl_"), "live", equalTo(true));

        var again = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(exchange(code)));
        assertEquals("authorisation code was already used", again.getStatus().getDescription());
        codeUse(code).body("spent", equalTo(true), "bankLinkId", startsWith("bl_"), "live", equalTo(false));
    }

    /**
     * An answer held back after the work outlives the caller's deadline: the caller sees DEADLINE_EXCEEDED though the
     * token exists; presenting the code again revokes it.
     */
    @Test
    void anAnswerLateAfterTheExchangeIsADeadlineAndTheCodePresentedAgainRevokesItsToken() throws Exception {
        String code = approvedCode("state-late");
        setFault("{\"rpc\":\"ExchangeCode\",\"latencyMillis\":1500,\"afterWork\":true,\"calls\":1}");
        // its own connection: the late answer on the stream the caller reset tears that connection down
        // (quarkusio/quarkus#56268)
        ManagedChannel impatient = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext().build();
        long start = System.nanoTime();
        try {
            assertStatus(Status.Code.DEADLINE_EXCEEDED, () -> BankConnectorGrpc.newBlockingStub(impatient)
                    .withCallCredentials(GrpcCalls.bearer(ISSUER.forAudience("account-link-service", SandboxResource.BANK_AUDIENCE)))
                    .withDeadlineAfter(500, TimeUnit.MILLISECONDS).exchangeCode(exchange(code)));
            codeUse(code).body("spent", equalTo(true), "bankLinkId", startsWith("bl_"), "live", equalTo(true));
            assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(exchange(code)));
            codeUse(code).body("live", equalTo(false));
            // the late answer goes out at 1.5 s: let it, before the next test
            long left = 1800 - (System.nanoTime() - start) / 1_000_000;
            if (left > 0) {
                Thread.sleep(left);
            }
        } finally {
            impatient.shutdownNow();
        }
    }

    private String approvedCode(String state) {
        return approve(begin(state).getAuthorisationId(), "cust-ada", List.of("ada-current")).get("code");
    }

    private static ValidatableResponse codeUse(String code) {
        return given().contentType("application/json").body("{\"code\":\"" + code + "\"}").post("/sandbox/codes/use")
                .then().statusCode(200);
    }

    @Test
    void badSettingsAreProblems() {
        for (String body : new String[] {"{\"rpc\":\"Nope\"}", "{\"rpc\":\"ListAccounts\",\"failureRate\":1.5}",
                "{\"rpc\":\"ListAccounts\",\"latencyMillis\":-1}", "{\"rpc\":\"ListAccounts\",\"calls\":0}", "{}",
                "{not json"}) {
            given().contentType("application/json").body(body).put("/sandbox/faults").then().statusCode(400)
                    .contentType(containsString("application/problem+json"))
                    .body("status", equalTo(400), "detail", org.hamcrest.Matchers.notNullValue());
        }
    }
}
