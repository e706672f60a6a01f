package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.proto.accounts.v1.AccountServiceGrpc;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.GetLinkRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.BankAccount;
import io.commercechat.proto.partner.v1.BankConnectorGrpc;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.PartnerLinkEventsGrpc;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.SandboxBankPage;
import io.commercechat.testkit.TestIssuer;
import io.grpc.ManagedChannel;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Real gRPC to the service under test and its real peers; the bank's page over real HTTP. */
abstract class MeshTestSupport {

    protected static final TestIssuer ISSUER = TestIssuer.get();
    protected static final String BANK = "sandbox-bank";
    protected static final String REDIRECT = "http://127.0.0.1:5173/links/callback";
    /** Every bank token and full account number seen during the run: none may appear in a log. */
    protected static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    protected ManagedChannel channel;
    private final List<ManagedChannel> peerChannels = new ArrayList<>();

    @BeforeEach
    void openChannel() {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        for (ManagedChannel c : peerChannels) {
            c.shutdownNow();
        }
    }

    protected static MeshPeers peers() {
        return MeshPeers.get();
    }

    protected AccountServiceGrpc.AccountServiceBlockingStub as(String token) {
        return AccountServiceGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    protected AccountServiceGrpc.AccountServiceBlockingStub person(String sub) {
        return as(ISSUER.person(sub));
    }

    /** The link as GetLink shows it to its person. */
    protected Link getLink(String sub, String linkId) {
        return person(sub).getLink(GetLinkRequest.newBuilder().setLinkId(linkId).build()).getLink();
    }

    protected PartnerLinkEventsGrpc.PartnerLinkEventsBlockingStub partnerEvents(String businessId) {
        return PartnerLinkEventsGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(ISSUER.partner(businessId)))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    protected ConsentServiceGrpc.ConsentServiceBlockingStub consentAs(String token) {
        ManagedChannel c = ManagedChannelBuilder.forAddress("127.0.0.1", peers().consent.port()).usePlaintext().build();
        peerChannels.add(c);
        return ConsentServiceGrpc.newBlockingStub(c).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /**
     * The bank's own API, as its registered client calls it (to check what a token can still do): the sandbox serves
     * only account-link-service (sandbox.clients), with a token for the bank's audience.
     */
    protected BankConnectorGrpc.BankConnectorBlockingStub bankDirect() {
        ManagedChannel c = ManagedChannelBuilder.forAddress("127.0.0.1", peers().sandbox.port()).usePlaintext().build();
        peerChannels.add(c);
        return BankConnectorGrpc.newBlockingStub(c).withCallCredentials(
                GrpcCalls.bearer(ISSUER.forAudience("account-link-service", MeshPeers.BANK_AUDIENCE)))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    protected static String newPerson() {
        return "person-" + UUID.randomUUID();
    }

    /** BeginLink with ACCOUNTS_BASIC, BALANCES, TRANSACTIONS (the web client's default) and {@code more}. */
    protected BeginLinkResponse begin(String sub, Permission... more) {
        return person(sub).beginLink(BeginLinkRequest.newBuilder().setBankId(BANK)
                .addPermissions(Permission.PERMISSION_ACCOUNTS_BASIC).addPermissions(Permission.PERMISSION_BALANCES)
                .addPermissions(Permission.PERMISSION_TRANSACTIONS).addAllPermissions(List.of(more))
                .addPurposes(Purpose.PURPOSE_ACCOUNT_OVERVIEW).setValidDays(30).setRedirectUri(REDIRECT).build());
    }

    /** The browser at the bank: signs in as the first customer, keeps every account selected, decides. */
    protected Map<String, String> atBank(String authorisationUrl, boolean approve) throws Exception {
        return atBank(peers().sandbox.baseUrl(), authorisationUrl, approve);
    }

    /** The same, at the sandbox bank listening on {@code sandboxBaseUrl}. */
    static Map<String, String> atBank(String sandboxBaseUrl, String authorisationUrl, boolean approve) throws Exception {
        return atBank(sandboxBaseUrl, REDIRECT, authorisationUrl, approve);
    }

    /** The same, for a link begun with {@code redirect} as its redirect URI (testkit's SandboxBankPage). */
    static Map<String, String> atBank(String sandboxBaseUrl, String redirect, String authorisationUrl, boolean approve)
            throws Exception {
        return SandboxBankPage.decide(sandboxBaseUrl, redirect, authorisationUrl, approve);
    }

    /** BeginLink, approve at the bank, CompleteLink: an ACTIVE link. */
    protected Link linkAccount(String sub, Permission... more) throws Exception {
        BeginLinkResponse begun = begin(sub, more);
        Map<String, String> back = atBank(begun.getAuthorisationUrl(), true);
        assertEquals(begun.getState(), back.get("state"));
        Link link = person(sub).completeLink(CompleteLinkRequest.newBuilder().setState(back.get("state"))
                .setCode(back.get("code")).build()).getLink();
        assertEquals(LinkStatus.LINK_STATUS_ACTIVE, link.getStatus(), link.getStatusReason());
        remember(UUID.fromString(link.getId()));
        return link;
    }

    /** Records the link's bank token and full account numbers so the log scan can look for them. */
    protected void remember(UUID linkId) {
        String token = bankToken(linkId);
        SECRETS.add(token);
        for (BankAccount a : bankDirect().listAccounts(BankListAccountsRequest.newBuilder().setAccessToken(token).build())
                .getAccountsList()) {
            SECRETS.add(a.getAccountNumber());
            SECRETS.add(a.getAccountNumber().replaceAll("\\s", ""));
        }
    }

    // ---- the service's database ----

    protected static Connection ownDb() throws Exception {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }

    protected static Connection consentDb() throws Exception {
        return DriverManager.getConnection(peers().consentJdbcUrl(), peers().postgres.user(), peers().postgres.password());
    }

    protected record TokenRow(String keyId, byte[] nonce, byte[] ciphertext) {}

    protected static TokenRow tokenRow(UUID linkId) {
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement(
                "SELECT key_id, nonce, ciphertext FROM bank_tokens WHERE link_id = ?")) {
            s.setObject(1, linkId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new TokenRow(r.getString(1), r.getBytes(2), r.getBytes(3)) : null;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A row of linked_accounts as stored: the bank's data about one account of a link, or its tombstone. */
    protected record AccountRow(UUID id, String bankAccountId, String displayName, String type, String currency,
            String maskedNumber, boolean erased) {

        boolean holdsBankData() {
            return displayName != null || type != null || currency != null || maskedNumber != null;
        }
    }

    protected static List<AccountRow> accountRows(UUID linkId) {
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement("SELECT id, bank_account_id, display_name, type,"
                + " currency, masked_number, erased_at FROM linked_accounts WHERE link_id = ? ORDER BY position")) {
            s.setObject(1, linkId);
            List<AccountRow> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(new AccountRow(r.getObject(1, UUID.class), r.getString(2), r.getString(3), r.getString(4),
                            r.getString(5), r.getString(6), r.getTimestamp(7) != null));
                }
            }
            return rows;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The link had accounts, and none of their rows holds anything the bank said any more (tombstones only). */
    protected static boolean bankDataErased(UUID linkId) {
        List<AccountRow> rows = accountRows(linkId);
        return !rows.isEmpty() && rows.stream().allMatch(r -> r.erased() && !r.holdsBankData());
    }

    /** Puts a sealed token on a link's row behind the service's back (as a rotation or someone with database access would). */
    protected static void storeTokenRow(UUID linkId, TokenRow row) throws Exception {
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement(
                "UPDATE bank_tokens SET key_id = ?, nonce = ?, ciphertext = ? WHERE link_id = ?")) {
            s.setString(1, row.keyId());
            s.setBytes(2, row.nonce());
            s.setBytes(3, row.ciphertext());
            s.setObject(4, linkId);
            assertEquals(1, s.executeUpdate());
        }
    }

    protected static String bankLinkId(UUID linkId) {
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement("SELECT bank_link_id FROM links WHERE id = ?")) {
            s.setObject(1, linkId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Decrypts the stored token with the test's copy of the keys (as the service would). */
    protected static String bankToken(UUID linkId) {
        TokenRow row = tokenRow(linkId);
        if (row == null) {
            throw new IllegalStateException("no token row for " + linkId);
        }
        return decrypt(linkId, row);
    }

    protected static String decrypt(UUID linkId, TokenRow row) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key(row.keyId()), new GCMParameterSpec(128, row.nonce()));
            cipher.updateAAD(linkId.toString().getBytes(StandardCharsets.US_ASCII));
            return new String(cipher.doFinal(row.ciphertext()), StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException("token row does not decrypt", e);
        }
    }

    protected static TokenRow encrypt(UUID linkId, String keyId, String token) {
        try {
            byte[] nonce = new byte[12];
            new java.security.SecureRandom().nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key(keyId), new GCMParameterSpec(128, nonce));
            cipher.updateAAD(linkId.toString().getBytes(StandardCharsets.US_ASCII));
            return new TokenRow(keyId, nonce, cipher.doFinal(token.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static SecretKeySpec key(String keyId) {
        String b64 = switch (keyId) {
            case "k1" -> MeshResource.KEY_1;
            case "k2" -> MeshResource.KEY_2;
            default -> throw new IllegalArgumentException(keyId);
        };
        return new SecretKeySpec(Base64.getDecoder().decode(b64), "AES");
    }

    // ---- the sandbox's test hooks ----

    protected static HttpResponse<String> sandboxHook(String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(peers().sandbox.baseUrl() + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Runs a sweep as the scheduler would: Hibernate Reactive on a (safe) Vert.x duplicated context. */
    protected static <T> T onVertxContext(Vertx vertx, Supplier<Uni<T>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        return Uni.createFrom().<T>emitter(e -> context.runOnContext(ignored -> work.get().subscribe().with(e::complete, e::fail)))
                .await().atMost(Duration.ofSeconds(60));
    }

    /** The service's metrics in the Prometheus text format. */
    protected static String metrics() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + GrpcCalls.testPort() + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The service's own log, rotated files included. */
    protected static String serviceLog() throws java.io.IOException {
        return io.commercechat.testkit.ServiceLogs.thisRun("account-link-service");
    }

    protected static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting until " + what);
    }
}
