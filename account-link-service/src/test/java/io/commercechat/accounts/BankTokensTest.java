package io.commercechat.accounts;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.accounts.client.ServiceTokens;
import io.commercechat.proto.accounts.v1.ListBanksRequest;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.Test;

/**
 * A partner bank is a third party: the token this service hands it carries the bank's audience only, so that the
 * bank (or whoever reads its logs) cannot call the mesh with it; and the bank refuses the mesh's tokens, so that the
 * link flows of the other tests, which go through the bank, show that the bank's token is the one sent to it.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class BankTokensTest extends MeshTestSupport {

    @Inject
    ServiceTokens tokens;

    @Test
    void theTokenForABankCarriesItsAudienceAndNotTheMeshs() throws Exception {
        String forBank = tokens.bankToken(MeshPeers.BANK_TOKEN_SCOPE).await().atMost(Duration.ofSeconds(10));
        JwtClaims claims = ISSUER.verifiedFor(forBank, MeshPeers.BANK_AUDIENCE);
        assertEquals(java.util.List.of(MeshPeers.BANK_AUDIENCE), claims.getAudience());
        assertEquals("account-link-service", claims.getStringClaimValue("azp"));
        assertFalse(claims.hasClaim("groups"), claims.toJson());
        assertThrows(AssertionError.class, () -> ISSUER.verified(forBank), "a token for the bank is not one for the mesh");

        String forMesh = tokens.accessToken().await().atMost(Duration.ofSeconds(10));
        assertTrue(ISSUER.verified(forMesh).getStringListClaimValue("groups").contains("service"));
        assertThrows(AssertionError.class, () -> ISSUER.verifiedFor(forMesh, MeshPeers.BANK_AUDIENCE));
    }

    /**
     * A provider that does not honour a bank's scope, and gives its token the mesh's audience, does not get the mesh's
     * credential handed to the bank: the token is refused here (the bank call fails as UNAVAILABLE).
     */
    @Test
    void aTokenForABankWithTheMeshsAudienceIsNotUsed() {
        ISSUER.registerAudienceScope("bank-misconfigured", TestIssuer.AUDIENCE, "account-link-service");
        var refused = assertThrows(StatusRuntimeException.class,
                () -> tokens.bankToken("bank-misconfigured").await().atMost(Duration.ofSeconds(10)));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
        assertEquals("no token for the bank: the identity provider gave it the mesh's claims", refused.getStatus().getDescription());
        // and a scope the provider refuses this client is UNAVAILABLE too, not a token of another kind
        var unknown = assertThrows(StatusRuntimeException.class,
                () -> tokens.bankToken("bank-nobody-registered").await().atMost(Duration.ofSeconds(10)));
        assertEquals(Status.Code.UNAVAILABLE, unknown.getStatus().getCode());
    }

    /**
     * A provider may sign with an EC key (DESIGN.md section 4: RS256 or ES256 from the JWKS): a person's ES256 token is
     * served; one signed by an EC key the JWKS does not hold is refused.
     */
    @Test
    void theMeshTakesEs256TokensFromThePublishedKeyOnly() {
        String person = newPerson();
        assertEquals(0, as(ISSUER.es256().person(person)).listLinks(ListLinksRequest.getDefaultInstance()).getLinksCount());
        assertStatus(Status.Code.UNAUTHENTICATED,
                () -> as(ISSUER.es256().badSignature(person)).listLinks(ListLinksRequest.getDefaultInstance()));
    }

    @Test
    void theMeshRefusesTheTokenABankHolds() {
        String forBank = tokens.bankToken(MeshPeers.BANK_TOKEN_SCOPE).await().atMost(Duration.ofSeconds(10));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> as(forBank).listBanks(ListBanksRequest.getDefaultInstance()));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> consentAs(forBank).checkAccess(CheckAccessRequest.newBuilder()
                .setUserId(newPerson()).setBankId(BANK).build()));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> consentAs(forBank).listConsents(ListConsentsRequest.getDefaultInstance()));
    }

    @Test
    void theBankRefusesTheMeshsToken() {
        String forMesh = tokens.accessToken().await().atMost(Duration.ofSeconds(10));
        var bank = bankDirect().withCallCredentials(GrpcCalls.bearer(forMesh));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> bank.listAccounts(
                BankListAccountsRequest.newBuilder().setAccessToken("sbt_x").build()));
        // and its own token for the bank is served (an unknown bank token is the bank's business answer)
        String forBank = tokens.bankToken(MeshPeers.BANK_TOKEN_SCOPE).await().atMost(Duration.ofSeconds(10));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bankDirect().withCallCredentials(
                GrpcCalls.bearer(forBank)).listAccounts(
                        BankListAccountsRequest.newBuilder().setAccessToken("sbt_x").build()));
    }
}
