package io.commercechat.accounts;

import io.commercechat.testkit.PostgresResource;
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
 * Real peers of account-link-service for tests, each a separate process from its module's
 * packaged jar: consent-service (with its own fresh database on the test PostgreSQL, a receipt
 * key made for this run, and the test issuer) and the sandbox bank (test hooks on, its partner
 * identity {@code sandbox-bank} registered with the test issuer, calling back to
 * {@code platformPort} for PartnerLinkEvents). Started once per test JVM.
 * Candidate for testkit: chat-service's tests need the same peers.
 */
public final class MeshPeers {

    public static final String BANK_CLIENT_SECRET = "sandbox-bank-test-secret";
    /** The scope account-link-service asks its token for the sandbox bank with, and the audience that token gets. */
    public static final String BANK_TOKEN_SCOPE = "bank-sandbox-bank";
    public static final String BANK_AUDIENCE = "sandbox-bank";
    private static MeshPeers instance;

    public final ServiceProcess consent;
    public final ServiceProcess sandbox;
    public final String consentDatabase;
    public final PostgresResource.Server postgres;

    private MeshPeers(ServiceProcess consent, ServiceProcess sandbox, String consentDatabase, PostgresResource.Server postgres) {
        this.consent = consent;
        this.sandbox = sandbox;
        this.consentDatabase = consentDatabase;
        this.postgres = postgres;
    }

    /** Starts the peers on first use; {@code platformPort} is where the sandbox sends PartnerLinkEvents. */
    public static synchronized MeshPeers start(int platformPort) {
        if (instance == null) {
            TestIssuer issuer = TestIssuer.get();
            PostgresResource.Server pg = PostgresResource.server();
            String db = "consent_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            PostgresResource.createDatabase(pg, db);
            ServiceProcess consent = ServiceProcess.start("consent-service", consentConfig(issuer, pg, db));
            ServiceProcess sandbox = ServiceProcess.start("sandbox", sandboxConfig(issuer, platformPort));
            instance = new MeshPeers(consent, sandbox, db, pg);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                sandbox.close();
                consent.close();
            }));
        }
        return instance;
    }

    public static synchronized MeshPeers get() {
        if (instance == null) {
            throw new IllegalStateException("MeshPeers.start(...) was not called (see MeshResource)");
        }
        return instance;
    }

    public String consentJdbcUrl() {
        return postgres.jdbcUrl(consentDatabase);
    }

    static Map<String, String> consentConfig(TestIssuer issuer, PostgresResource.Server pg, String db) {
        return consentConfig(issuer.verificationConfig(), pg, db);
    }

    /** consent-service verifying tokens with {@code verification} (mp.jwt.verify.*), on its own database. */
    static Map<String, String> consentConfig(Map<String, String> verification, PostgresResource.Server pg, String db) {
        Map<String, String> config = new HashMap<>(verification);
        config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(db));
        config.put("quarkus.datasource.reactive.url", pg.reactiveUrl(db));
        config.put("quarkus.datasource.username", pg.user());
        config.put("quarkus.datasource.password", pg.password());
        config.put("consent.receipts.signing-jwk", receiptKey());
        config.put("consent.sweep-interval", "2s");
        return config;
    }

    static Map<String, String> sandboxConfig(TestIssuer issuer, int platformPort) {
        issuer.registerPartnerClient("sandbox-bank", BANK_CLIENT_SECRET, "sandbox-bank");
        issuer.registerPartnerClient("demo-shop", "demo-shop-test-secret", "demo-shop");
        issuer.registerAudienceScope(BANK_TOKEN_SCOPE, BANK_AUDIENCE, "account-link-service");
        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("mp.jwt.verify.audiences", BANK_AUDIENCE);
        for (String client : new String[] {"sandbox-bank", "demo-shop"}) {
            config.put("quarkus.oidc-client." + client + ".auth-server-url", issuer.baseUrl());
            config.put("quarkus.oidc-client." + client + ".token-path", "/token");
        }
        config.put("quarkus.oidc-client.sandbox-bank.credentials.secret", BANK_CLIENT_SECRET);
        config.put("quarkus.oidc-client.demo-shop.credentials.secret", "demo-shop-test-secret");
        config.put("quarkus.grpc.clients.link-events.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.link-events.port", Integer.toString(platformPort));
        config.put("sandbox.test-hooks.enabled", "true");
        return config;
    }

    static String receiptKey() {
        try {
            PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
            key.setKeyId("receipts-als-test-1");
            return key.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
