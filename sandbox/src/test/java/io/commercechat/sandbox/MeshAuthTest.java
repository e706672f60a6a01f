package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;

import io.commercechat.proto.partner.v1.BankConnectorGrpc;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every BankConnector RPC is for the bank's registered clients only, with a token for the bank's audience; the mesh's
 * tokens are refused, whoever holds them. The authorisation page is public.
 */
@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class MeshAuthTest extends SandboxTestSupport {

    @Test
    void noTokenIsUnauthenticated() {
        var anonymous = BankConnectorGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        assertStatus(Status.Code.UNAUTHENTICATED, () -> anonymous.beginAuthorisation(authorisation("s").build()));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> anonymous.listAccounts(BankListAccountsRequest.getDefaultInstance()));
    }

    @Test
    void brokenTokensAreUnauthenticated() {
        for (String token : new String[] {ISSUER.expired("account-link-service"), ISSUER.wrongAudience("account-link-service"),
                ISSUER.wrongIssuer("account-link-service"), ISSUER.badSignature("account-link-service"),
                ISSUER.algNone("account-link-service"), "not-a-jwt",
                ISSUER.forAudience("account-link-service", "another-bank")}) {
            assertStatus(Status.Code.UNAUTHENTICATED, () -> as(token).beginAuthorisation(authorisation("s").build()));
            assertStatus(Status.Code.UNAUTHENTICATED, () -> as(token).exchangeCode(
                    ExchangeCodeRequest.newBuilder().setCodeVerifier(VERIFIER).setCode("c").setRedirectUri(REDIRECT).build()));
        }
    }

    /** A provider may sign with an EC key (DESIGN.md section 4: RS256 or ES256 from the JWKS). */
    @Test
    void theRegisteredClientsEs256TokenIsServed() {
        as(ISSUER.es256().forAudience("account-link-service", SandboxResource.BANK_AUDIENCE))
                .beginAuthorisation(authorisation("s").build());
    }

    /** Tokens for the mesh, account-link-service's own among them, are not tokens for the bank. */
    @Test
    void theMeshsTokensAreUnauthenticated() {
        for (String token : new String[] {ISSUER.service("account-link-service"), ISSUER.person("person-1"),
                ISSUER.partner("sandbox-bank"), ISSUER.partner("demo-shop")}) {
            assertStatus(Status.Code.UNAUTHENTICATED, () -> as(token).beginAuthorisation(authorisation("s").build()));
            assertStatus(Status.Code.UNAUTHENTICATED, () -> as(token).listAccounts(
                    BankListAccountsRequest.newBuilder().setAccessToken("sbt_x").build()));
            assertStatus(Status.Code.UNAUTHENTICATED, () -> as(token).exchangeCode(
                    ExchangeCodeRequest.newBuilder().setCodeVerifier(VERIFIER).setCode("c").setRedirectUri(REDIRECT).build()));
        }
    }

    /** Only the bank's registered client (account-link-service) may call it, not another client with a token for it. */
    @Test
    void anotherClientIsNotAClientOfTheBank() {
        for (String token : new String[] {ISSUER.forAudience("chat-service", SandboxResource.BANK_AUDIENCE),
                ISSUER.forAudience("consent-service", SandboxResource.BANK_AUDIENCE)}) {
            var refused = assertStatus(Status.Code.PERMISSION_DENIED, () -> as(token).beginAuthorisation(authorisation("s").build()));
            org.junit.jupiter.api.Assertions.assertTrue(refused.getStatus().getDescription().contains("not a client registered"),
                    refused.getStatus().getDescription());
            assertStatus(Status.Code.PERMISSION_DENIED, () -> as(token).exchangeCode(
                    ExchangeCodeRequest.newBuilder().setCodeVerifier(VERIFIER).setCode("c").setRedirectUri(REDIRECT).build()));
            assertStatus(Status.Code.PERMISSION_DENIED, () -> as(token).listAccounts(
                    BankListAccountsRequest.newBuilder().setAccessToken("sbt_x").build()));
        }
        // the registered client is served
        bank().beginAuthorisation(authorisation("s").build());
    }

    @Test
    void theAuthorisationPageAndHealthNeedNoToken() {
        String url = bank().beginAuthorisation(authorisation("s").build()).getAuthorisationUrl();
        given().get(url.substring(url.indexOf("/bank/"))).then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
    }
}
