package io.commercechat.chat;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.SandboxBusinesses;
import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.keys.EllipticCurves;

/**
 * The real peers of chat-service, each a separate process from its module's packaged jar, on the
 * test PostgreSQL (a fresh database each) and the test issuer: consent-service, the sandbox bank
 * and account-link-service (which reaches the other two). Started once per test JVM.
 * Same approach as account-link-service's MeshPeers (candidate for testkit).
 */
public final class MeshPeers {

    static final String ACCOUNT_LINK_SECRET = "account-link-service-test-secret";
    /** chat-service's client secret for the processes of {@link #chatProcessConfig} (one per test JVM). */
    private static final String CHAT_PROCESS_SECRET = "chat-service-process-test-secret";
    /** The scope account-link-service asks its token for the sandbox bank with, and the audience it gets. */
    static final String BANK_TOKEN_SCOPE = "bank-sandbox-bank";
    static final String BANK_AUDIENCE = "sandbox-bank";
    static final String TOKEN_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static MeshPeers instance;

    public final ServiceProcess consent;
    public final ServiceProcess sandbox;
    public final ServiceProcess accountLink;
    public final PostgresResource.Server postgres;
    public final String consentDatabase;

    private MeshPeers(ServiceProcess consent, ServiceProcess sandbox, ServiceProcess accountLink,
            PostgresResource.Server postgres, String consentDatabase) {
        this.consent = consent;
        this.sandbox = sandbox;
        this.accountLink = accountLink;
        this.postgres = postgres;
        this.consentDatabase = consentDatabase;
    }

    public static synchronized MeshPeers start() {
        if (instance == null) {
            TestIssuer issuer = TestIssuer.get();
            PostgresResource.Server pg = PostgresResource.server();
            String consentDb = database(pg, "consent_");
            String accountLinkDb = database(pg, "accountlink_");
            ServiceProcess consent = ServiceProcess.start("consent-service", consentConfig(issuer, pg, consentDb));
            ServiceProcess sandbox = ServiceProcess.start("sandbox", sandboxConfig(issuer));
            ServiceProcess accountLink = ServiceProcess.start("account-link-service",
                    accountLinkConfig(issuer, pg, accountLinkDb, consent.port(), sandbox.port()));
            instance = new MeshPeers(consent, sandbox, accountLink, pg, consentDb);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                accountLink.close();
                sandbox.close();
                consent.close();
            }));
        }
        return instance;
    }

    public static synchronized MeshPeers get() {
        if (instance == null) {
            throw new IllegalStateException("MeshPeers.start() was not called (see MeshResource)");
        }
        return instance;
    }

    private static String database(PostgresResource.Server pg, String prefix) {
        String db = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        PostgresResource.createDatabase(pg, db);
        return db;
    }

    private static Map<String, String> common(TestIssuer issuer) {
        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("quarkus.log.console.json.enabled", "false");
        return config;
    }

    private static void datasource(Map<String, String> config, PostgresResource.Server pg, String db) {
        config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(db));
        config.put("quarkus.datasource.reactive.url", pg.reactiveUrl(db));
        config.put("quarkus.datasource.username", pg.user());
        config.put("quarkus.datasource.password", pg.password());
    }

    /** The service's own token (client credentials) from the test issuer. */
    private static void serviceClient(Map<String, String> config, TestIssuer issuer, String secret) {
        config.put("quarkus.oidc-client.auth-server-url", issuer.baseUrl());
        config.put("quarkus.oidc-client.token-path", "/token");
        config.put("quarkus.oidc-client.credentials.secret", secret);
    }

    /**
     * chat-service as a process of its own (the packaged jar, {@link ServiceProcess}) on a new database;
     * its peers, and anything else under test, are the caller's to add.
     */
    static Map<String, String> chatProcessConfig(TestIssuer issuer, String databasePrefix) {
        issuer.registerServiceClient("chat-service", CHAT_PROCESS_SECRET);
        PostgresResource.Server pg = PostgresResource.server();
        Map<String, String> config = common(issuer);
        datasource(config, pg, database(pg, databasePrefix));
        serviceClient(config, issuer, CHAT_PROCESS_SECRET);
        config.put("chat.person-ref-key", databasePrefix + "person-ref-key-of-this-test-run-only");
        config.putAll(SandboxBusinesses.CONFIG);
        return config;
    }

    static Map<String, String> consentConfig(TestIssuer issuer, PostgresResource.Server pg, String db) {
        Map<String, String> config = common(issuer);
        datasource(config, pg, db);
        config.put("consent.receipts.signing-jwk", receiptKey());
        config.put("consent.sweep-interval", "2s");
        return config;
    }

    /** The bank; its chat-side clients point nowhere: no agent answers in these tests. */
    static Map<String, String> sandboxConfig(TestIssuer issuer) {
        issuer.registerPartnerClient("sandbox-bank", "sandbox-bank-test-secret", "sandbox-bank");
        issuer.registerPartnerClient("demo-shop", "demo-shop-test-secret", "demo-shop");
        issuer.registerAudienceScope(BANK_TOKEN_SCOPE, BANK_AUDIENCE, "account-link-service");
        Map<String, String> config = common(issuer);
        config.put("mp.jwt.verify.audiences", BANK_AUDIENCE);
        for (String client : new String[] {"sandbox-bank", "demo-shop"}) {
            config.put("quarkus.oidc-client." + client + ".auth-server-url", issuer.baseUrl());
            config.put("quarkus.oidc-client." + client + ".token-path", "/token");
            config.put("quarkus.oidc-client." + client + ".credentials.secret", client + "-test-secret");
        }
        String nowhere = Integer.toString(ServiceProcess.freePort());
        for (String client : new String[] {"link-events", "business-messaging", "business-inbox"}) {
            config.put("quarkus.grpc.clients." + client + ".host", "127.0.0.1");
            config.put("quarkus.grpc.clients." + client + ".port", nowhere);
        }
        config.put("sandbox.test-hooks.enabled", "true");
        return config;
    }

    static Map<String, String> accountLinkConfig(TestIssuer issuer, PostgresResource.Server pg, String db, int consentPort,
            int sandboxPort) {
        issuer.registerServiceClient("account-link-service", ACCOUNT_LINK_SECRET);
        Map<String, String> config = common(issuer);
        datasource(config, pg, db);
        serviceClient(config, issuer, ACCOUNT_LINK_SECRET);
        config.put("accounts.consent-service.host", "127.0.0.1");
        config.put("accounts.consent-service.port", Integer.toString(consentPort));
        config.put("accounts.banks.sandbox-bank.display-name", "Sandbox Bank");
        config.put("accounts.banks.sandbox-bank.host", "127.0.0.1");
        config.put("accounts.banks.sandbox-bank.port", Integer.toString(sandboxPort));
        config.put("accounts.banks.sandbox-bank.tls", "false");
        config.put("accounts.banks.sandbox-bank.token-scope", BANK_TOKEN_SCOPE);
        config.put("accounts.token-keys.k1", TOKEN_KEY);
        config.put("accounts.token-keys-active", "k1");
        config.put("accounts.allowed-redirect-prefixes", "http://127.0.0.1:,http://localhost:");
        config.put("accounts.consent-events.reconnect-delay", "500ms");
        return config;
    }

    private static String receiptKey() {
        try {
            PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
            key.setKeyId("receipts-chat-test-1");
            return key.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
