package io.commercechat.accounts;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.identity.BrowserlessLogin;
import io.commercechat.proto.accounts.v1.AccountServiceGrpc;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.GetLinkRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The link flow with tokens from the real Keycloak (commerce-chat realm): alice and bob log in with
 * the authorization-code flow + PKCE (browserless), the services get theirs with client credentials,
 * and every service verifies Keycloak's signatures, issuer and audience.
 */
@QuarkusTest
@TestProfile(KeycloakLinkFlowTest.WithKeycloak.class)
class KeycloakLinkFlowTest {

    /** Its own resources only: the other tests' test issuer and peers must not be configured here. */
    public static class WithKeycloak implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class), new TestResourceEntry(KeycloakMeshResource.class));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    private static final String WEB_REDIRECT = "http://localhost:5173/callback";
    private static final Purpose OVERVIEW = Purpose.PURPOSE_ACCOUNT_OVERVIEW;

    private ManagedChannel channel;
    private ManagedChannel consentChannel;

    @BeforeEach
    void open() {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext().build();
        consentChannel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh().consent.port()).usePlaintext().build();
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
        consentChannel.shutdownNow();
    }

    private static KeycloakMeshResource mesh() {
        return KeycloakMeshResource.current();
    }

    private AccountServiceGrpc.AccountServiceBlockingStub as(String token) {
        return AccountServiceGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private static String login(String user, String password) throws Exception {
        return BrowserlessLogin.login(mesh().keycloak.issuer(), "web", WEB_REDIRECT, user, password);
    }

    @Test
    void aliceLinksAndReadsWithKeycloakTokensAndBobSeesNothing() throws Exception {
        String alice = login("alice", "alice-demo");
        String bob = login("bob", "bob-demo");

        BeginLinkResponse begun = as(alice).beginLink(BeginLinkRequest.newBuilder().setBankId("sandbox-bank")
                .addPermissions(Permission.PERMISSION_ACCOUNTS_BASIC).addPermissions(Permission.PERMISSION_BALANCES)
                .addPurposes(OVERVIEW).setValidDays(30).setRedirectUri(MeshTestSupport.REDIRECT).build());
        Map<String, String> back = MeshTestSupport.atBank(mesh().sandbox.baseUrl(), begun.getAuthorisationUrl(), true);
        Link link = as(alice).completeLink(CompleteLinkRequest.newBuilder().setState(back.get("state"))
                .setCode(back.get("code")).build()).getLink();
        assertEquals(LinkStatus.LINK_STATUS_ACTIVE, link.getStatus(), link.getStatusReason());
        String accountId = link.getAccounts(0).getId();
        assertFalse(as(alice).getBalances(GetBalancesRequest.newBuilder().setAccountId(accountId).setPurpose(OVERVIEW).build())
                .getBalancesList().isEmpty());

        // consent-service recorded the read as account-link-service (Keycloak's azp of its client-credentials token)
        var records = ConsentServiceGrpc.newBlockingStub(consentChannel).withCallCredentials(GrpcCalls.bearer(alice))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listAccessRecords(ListAccessRecordsRequest.newBuilder()
                        .setConsentId(link.getConsentId()).build()).getRecordsList();
        assertTrue(records.stream().anyMatch(r -> r.getService().equals("account-link-service")
                && r.getPermission() == Permission.PERMISSION_BALANCES && r.getPurpose() == OVERVIEW), records.toString());

        // bob: alice's link and account do not exist for him
        assertStatus(Status.Code.NOT_FOUND, () -> as(bob).getLink(GetLinkRequest.newBuilder().setLinkId(link.getId()).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> as(bob).getBalances(GetBalancesRequest.newBuilder().setAccountId(accountId)
                .setPurpose(OVERVIEW).build()));
        assertEquals(0, as(bob).listLinks(ListLinksRequest.getDefaultInstance()).getLinksCount());

        // a service's client-credentials token has no person: refused for person RPCs
        String service = BrowserlessLogin.clientCredentials(mesh().keycloak.issuer(), "chat-service", "chat-service-dev-secret");
        assertStatus(Status.Code.PERMISSION_DENIED, () -> as(service).listLinks(ListLinksRequest.getDefaultInstance()));
        assertEquals(1, as(alice).listLinks(ListLinksRequest.getDefaultInstance()).getLinksCount());
    }
}
