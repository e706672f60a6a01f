package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
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
    void badSettingsAreProblems() {
        for (String body : new String[] {"{\"rpc\":\"Nope\"}", "{\"rpc\":\"ListAccounts\",\"failureRate\":1.5}",
                "{\"rpc\":\"ListAccounts\",\"latencyMillis\":-1}", "{}", "{not json"}) {
            given().contentType("application/json").body(body).put("/sandbox/faults").then().statusCode(400)
                    .contentType(containsString("application/problem+json"))
                    .body("status", equalTo(400), "detail", org.hamcrest.Matchers.notNullValue());
        }
    }
}
