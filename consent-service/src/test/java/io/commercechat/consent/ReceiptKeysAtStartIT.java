package io.commercechat.consent;

import static io.commercechat.consent.PackagedConsentService.config;
import static io.commercechat.consent.PackagedConsentService.newDatabase;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.ServiceProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
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

    /**
     * Receipts signed under a key that is no longer published (a rotation that dropped the old public key) stop the
     * start with the key id named; published among the previous keys, the same receipts let it start.
     */
    @Test
    void receiptsSignedUnderAnUnpublishedKeyStopTheStart() throws Exception {
        String db = newDatabase();
        PublicJsonWebKey old = signingKey("receipts-it-old");
        try (ServiceProcess consent = ServiceProcess.start("consent-service", config(db,
                old.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE), null))) {
            assertTrue(consent.port() > 0); // the schema is in place
        }
        storeReceiptSignedUnder(db, "receipts-it-old");
        String current = signingKey("receipts-it-new").toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE);
        String log = failedStart(config(db, current, null));
        assertTrue(log.contains("receipts were signed under key ids [receipts-it-old] that are not published"),
                "the log names the key id");
        JsonWebKey oldPublic = PublicJsonWebKey.Factory.newPublicJwk(old.getPublicKey());
        oldPublic.setKeyId("receipts-it-old");
        String previous = new JsonWebKeySet(oldPublic).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
        try (ServiceProcess consent = ServiceProcess.start("consent-service", config(db, current, previous))) {
            assertTrue(consent.port() > 0);
        }
    }

    private static void storeReceiptSignedUnder(String db, String keyId) throws Exception {
        PostgresResource.Server pg = PostgresResource.server();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password());
                Statement s = c.createStatement()) {
            UUID consent = UUID.randomUUID();
            s.executeUpdate("INSERT INTO consents (id, user_id, bank_id, permissions, purposes, created_at, expires_at,"
                    + " updated_at, status, version) VALUES ('" + consent + "', 'someone', 'sandbox-bank', 'BALANCES',"
                    + " 'ACCOUNT_OVERVIEW', now(), now() + interval '90 days', now(), 'CONSENT_STATUS_AUTHORISED', 1)");
            s.executeUpdate("INSERT INTO receipts (id, consent_id, kind, jws, key_id, issued_at) VALUES ('" + UUID.randomUUID()
                    + "', '" + consent + "', 'RECEIPT_KIND_AUTHORISATION', 'a.b.c', '" + keyId + "', now())");
        }
    }

    /** Starts consent-service expecting it to exit; its log. */
    private static String failedStart(Map<String, String> config) throws Exception {
        IllegalStateException failed = assertThrows(IllegalStateException.class,
                () -> ServiceProcess.start("consent-service", config).close());
        Matcher log = Pattern.compile("exited with \\d+; see (\\S+)").matcher(failed.getMessage());
        assertTrue(log.find(), "it exited: " + failed.getMessage());
        return Files.readString(Path.of(log.group(1)), StandardCharsets.UTF_8);
    }

    private static PublicJsonWebKey signingKey(String kid) throws Exception {
        PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
        key.setKeyId(kid);
        return key;
    }
}
