package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankGetBalancesRequest;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.sandbox.agent.AgentInbox;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Behaviour driven by configuration: code lifetime, fault knobs from properties, disabled test hooks and agent console. */
@QuarkusTest
@TestProfile(ShortLivedCodesProfile.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class ConfiguredBehaviourTest extends SandboxTestSupport {

    @Inject
    AgentInbox inbox;

    @Test
    void anExpiredCodeIsRefused() throws InterruptedException {
        BeginAuthorisationResponse begun = begin("state-e");
        String code = approve(begun.getAuthorisationId(), "cust-ada", List.of("ada-current")).get("code");
        Thread.sleep(3_300);
        var expired = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(
                exchange(code)));
        assertEquals("authorisation code has expired", expired.getStatus().getDescription());
    }

    @Test
    void faultKnobsComeFromConfiguration() {
        BeginAuthorisationResponse begun = begin("state-f");
        String code = approve(begun.getAuthorisationId(), "cust-ada", List.of("ada-current")).get("code");
        ExchangeCodeResponse link = bank().exchangeCode(exchange(code));
        assertStatus(Status.Code.UNAVAILABLE, () -> bank().getBalances(BankGetBalancesRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).setAccountId("ada-current").build()));
        long start = System.nanoTime();
        bank().listAccounts(BankListAccountsRequest.newBuilder().setAccessToken(link.getAccessToken()).build());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 300);
    }

    @Test
    void testHooksAreOffWhenDisabled() {
        given().get("/sandbox/faults").then().statusCode(404);
        given().contentType("application/json").body("{\"rpc\":\"*\",\"failureRate\":1}").put("/sandbox/faults").then().statusCode(404);
        given().post("/sandbox/links/bl_x/revoke").then().statusCode(404);
        given().get("/sandbox/exchange-answers").then().statusCode(404);
        given().contentType("application/json").body("{\"omitAccountIds\":true}").put("/sandbox/exchange-answers").then()
                .statusCode(404);
        given().contentType("application/json").body("{\"code\":\"sbc_x\"}").post("/sandbox/codes/use").then().statusCode(404)
                .body("type", endsWith(":test-hooks-disabled"));
        given().contentType("application/json").body("{\"conversationId\":\"c\"}").post("/sandbox/shop/receipts").then().statusCode(404);
    }

    /** It acts with the bank's partner token, so off means nothing under /agent answers: not even the static page. */
    @Test
    void theAgentConsoleIsOffWhenDisabled() {
        for (String path : List.of("/agent", "/agent/", "/agent/index.html", "/agent/agent.js", "/agent/status",
                "/agent/conversations", "/agent;x/status", "/AGENT/status")) {
            given().get(path).then().statusCode(404).contentType(containsString("application/problem+json"))
                    .body("type", endsWith(":agent-console-disabled"), "status", equalTo(404));
        }
        given().contentType("application/json").body("{\"clientMessageId\":\"x\",\"text\":\"hi\"}")
                .post("/agent/conversations/c/messages").then().statusCode(404);
        assertEquals("idle", inbox.status().upstream(), "the bank's inbox is never subscribed to");
    }
}
