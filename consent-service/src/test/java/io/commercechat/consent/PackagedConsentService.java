package io.commercechat.consent;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuer;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What consent-service needs to start as its pod runs it (testkit ServiceProcess: the packaged jar, production profile)
 * and nothing more, so that everything else is as shipped: a database of its own, the test issuer, a receipt key.
 */
final class PackagedConsentService {

    private PackagedConsentService() {}

    static String newDatabase() {
        String db = "consent_packaged_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        PostgresResource.createDatabase(PostgresResource.server(), db);
        return db;
    }

    /** On a new database. */
    static Map<String, String> config(String signingJwk, String previousJwks) {
        return config(newDatabase(), signingJwk, previousJwks);
    }

    /** {@code previousJwks} may be null (none published beside the signing key). */
    static Map<String, String> config(String db, String signingJwk, String previousJwks) {
        PostgresResource.Server pg = PostgresResource.server();
        Map<String, String> config = new HashMap<>(TestIssuer.get().verificationConfig());
        config.put("quarkus.log.console.json.enabled", "false");
        config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(db));
        config.put("quarkus.datasource.reactive.url", pg.reactiveUrl(db));
        config.put("quarkus.datasource.username", pg.user());
        config.put("quarkus.datasource.password", pg.password());
        config.put("consent.receipts.signing-jwk", signingJwk);
        if (previousJwks != null) {
            config.put("consent.receipts.previous-public-jwks", previousJwks);
        }
        return config;
    }
}
