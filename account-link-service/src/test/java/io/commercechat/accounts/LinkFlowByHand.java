package io.commercechat.accounts;

import io.commercechat.identity.BrowserlessLogin;
import io.commercechat.proto.accounts.v1.AccountServiceGrpc;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkedAccount;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.SandboxBankPage;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The link flow by hand against a running mesh ({@code ./mesh up}): logs in as a demo person at
 * Keycloak, BeginLink, the bank's page (in your browser, or driven over HTTP with {@code --auto}),
 * CompleteLink, GetBalances, ListTransactions, and the person's access log. See README
 * "Link flow by hand". Ports: MESH_* environment variables as for ./mesh.
 */
public final class LinkFlowByHand {

    private LinkFlowByHand() {}

    public static void main(String[] args) throws Exception {
        boolean auto = java.util.Arrays.asList(args).contains("--auto");
        String user = System.getProperty("user", "alice");
        String password = System.getProperty("password", user + "-demo");
        String issuer = "http://127.0.0.1:" + env("MESH_KEYCLOAK_PORT", "8180") + "/realms/commerce-chat";
        String redirect = "http://127.0.0.1:" + env("MESH_CHAT_PORT", "8080") + "/links/callback";
        String sandbox = "http://127.0.0.1:" + env("MESH_SANDBOX_PORT", "8083");

        String token = BrowserlessLogin.login(issuer, "web", "http://localhost:5173/callback", user, password);
        System.out.println("1. logged in at Keycloak as " + user);
        ManagedChannel accounts = channel(env("MESH_ACCOUNT_LINK_PORT", "8082"));
        ManagedChannel consents = channel(env("MESH_CONSENT_PORT", "8081"));
        try {
            var svc = AccountServiceGrpc.newBlockingStub(accounts).withCallCredentials(GrpcCalls.bearer(token));
            BeginLinkResponse begun = svc.withDeadlineAfter(20, TimeUnit.SECONDS).beginLink(BeginLinkRequest.newBuilder()
                    .setBankId("sandbox-bank").addPermissions(Permission.PERMISSION_ACCOUNTS_BASIC)
                    .addPermissions(Permission.PERMISSION_BALANCES).addPermissions(Permission.PERMISSION_TRANSACTIONS)
                    .addPurposes(Purpose.PURPOSE_ACCOUNT_OVERVIEW).setValidDays(30).setRedirectUri(redirect).build());
            System.out.println("2. BeginLink: link " + begun.getLink().getId() + " " + begun.getLink().getStatus()
                    + ", consent " + begun.getLink().getConsentId());
            Map<String, String> back;
            if (auto) {
                back = MeshTestSupport.atBank(sandbox, redirect, begun.getAuthorisationUrl(), true);
                System.out.println("3. approved at the sandbox bank (driven over HTTP)");
            } else {
                System.out.println("3. open this in a browser, approve, then paste the address the bank sent you to:\n   "
                        + begun.getAuthorisationUrl());
                String pasted = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                back = SandboxBankPage.query(URI.create(pasted.trim()).getRawQuery());
            }
            Link link = svc.withDeadlineAfter(20, TimeUnit.SECONDS).completeLink(CompleteLinkRequest.newBuilder()
                    .setState(back.getOrDefault("state", "")).setCode(back.getOrDefault("code", ""))
                    .setError(back.getOrDefault("error", "")).build()).getLink();
            System.out.println("4. CompleteLink: " + link.getStatus() + " " + link.getStatusReason());
            for (LinkedAccount a : link.getAccountsList()) {
                System.out.println("   account " + a.getId() + "  " + a.getDisplayName() + "  " + a.getMaskedNumber());
            }
            if (link.getAccountsCount() == 0) {
                return;
            }
            String accountId = link.getAccounts(0).getId();
            var balances = svc.withDeadlineAfter(20, TimeUnit.SECONDS).getBalances(GetBalancesRequest.newBuilder()
                    .setAccountId(accountId).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build());
            System.out.println("5. GetBalances: " + balances.getBalancesCount() + " balances");
            balances.getBalancesList().forEach(b -> System.out.println("   " + b.getType() + " " + b.getAmount()));
            var tx = svc.withDeadlineAfter(20, TimeUnit.SECONDS).listTransactions(ListTransactionsRequest.newBuilder()
                    .setAccountId(accountId).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).setPageSize(5).build());
            System.out.println("6. ListTransactions (first 5 of the last 90 days):");
            tx.getTransactionsList().forEach(t -> System.out.println("   " + t.getBookedAt().getSeconds() + " "
                    + t.getDescription() + " " + t.getAmount().getUnits()));
            var log = ConsentServiceGrpc.newBlockingStub(consents).withCallCredentials(GrpcCalls.bearer(token))
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .listAccessRecords(ListAccessRecordsRequest.newBuilder().setConsentId(link.getConsentId()).build());
            System.out.println("7. access log of the consent (newest first):");
            log.getRecordsList().forEach(r -> System.out.println("   " + r.getService() + " " + r.getPermission() + " "
                    + r.getPurpose() + " " + r.getDecision()));
        } finally {
            accounts.shutdownNow();
            consents.shutdownNow();
        }
    }

    private static ManagedChannel channel(String port) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(port)).usePlaintext().build();
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
