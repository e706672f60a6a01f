package io.commercechat.consent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.keys.EllipticCurves;
import org.junit.jupiter.api.Test;

/**
 * consent-service as its pod runs it (the packaged jar, production profile): a wrong receipt key stops the start, so
 * that a rollout with it never becomes ready. Before, the signer was made at its first use, and such a pod passed
 * readiness and then failed every authorisation and revocation (INTERNAL) while checks still allowed.
 */
class ReceiptKeysAtStartIT {

    private static final TestIssuer ISSUER = TestIssuer.get();

    @Test
    void aGoodKeyStarts() throws Exception {
        try (ServiceProcess consent = ServiceProcess.start("consent-service", config(signingKey("receipts-it-1").toJson(
                JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE), null))) {
            assertTrue(consent.port() > 0);
        }
    }

    @Test
    void aPreviousKeyRepeatingTheSigningKeysKidStopsTheStart() throws Exception {
        PublicJsonWebKey signing = signingKey("receipts-it-2");
        String previous = new JsonWebKeySet(signingKey("receipts-it-2")).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
        String log = failedStart(config(signing.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE), previous));
        assertTrue(log.contains("consent.receipts.previous-public-jwks") && log.contains("receipts-it-2 repeats"),
                "the log names the setting and the kid");
    }

    @Test
    void thePlaceholderOfTheBaseSecretStopsTheStart() throws Exception {
        String log = failedStart(config("REPLACE-ME-private-ec-p256-jwk", null));
        assertTrue(log.contains("consent.receipts.signing-jwk is not a valid JWK"), "the log names the setting");
    }

    /** Starts consent-service expecting it to exit; its log. */
    private static String failedStart(Map<String, String> config) throws Exception {
        IllegalStateException failed = assertThrows(IllegalStateException.class,
                () -> ServiceProcess.start("consent-service", config).close());
        Matcher log = Pattern.compile("exited with \\d+; see (\\S+)").matcher(failed.getMessage());
        assertTrue(log.find(), "it exited: " + failed.getMessage());
        return Files.readString(Path.of(log.group(1)), StandardCharsets.UTF_8);
    }

    private static Map<String, String> config(String signingJwk, String previousJwks) {
        PostgresResource.Server pg = PostgresResource.server();
        String db = "consent_keys_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        PostgresResource.createDatabase(pg, db);
        Map<String, String> config = new HashMap<>(ISSUER.verificationConfig());
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

    private static PublicJsonWebKey signingKey(String kid) throws Exception {
        PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
        key.setKeyId(kid);
        return key;
    }
}
