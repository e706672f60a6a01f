package io.commercechat.consent.receipt.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.EllipticCurveJsonWebKey;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.keys.EllipticCurves;
import org.junit.jupiter.api.Test;

/** The keys published beside the signing key: what a wrong setting says at start, instead of a ClassCastException. */
class PublishedReceiptKeysTest {

    private static String publicJwk(String kid) throws Exception {
        EllipticCurveJsonWebKey k = EcJwkGenerator.generateJwk(EllipticCurves.P256);
        k.setKeyId(kid);
        return k.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
    }

    @Test
    void earlierKeysArePublishedWithTheirKidsAndPublicPartsOnly() throws Exception {
        EllipticCurveJsonWebKey withPrivate = EcJwkGenerator.generateJwk(EllipticCurves.P256);
        withPrivate.setKeyId("k0");
        String jwks = "{\"keys\":[" + withPrivate.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE) + ","
                + publicJwk("k1") + "]}";
        List<JsonWebKey> keys = ReceiptSigner.otherPublishedKeys(jwks, "k2");
        assertEquals(List.of("k0", "k1"), keys.stream().map(JsonWebKey::getKeyId).toList());
        for (JsonWebKey k : keys) {
            assertEquals("ES256", k.getAlgorithm());
            // k0 came with its private part: what is published must not hold it, in any serialization
            assertNull(((PublicJsonWebKey) k).getPrivateKey(), k.getKeyId());
            assertFalse(k.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE).contains("\"d\""), k.getKeyId());
        }
    }

    @Test
    void aKeyThatIsNotP256OrRepeatsAKidStopsTheStartNamingTheSetting() throws Exception {
        var rsa = RsaJwkGenerator.generateJwk(2048);
        rsa.setKeyId("r1");
        var notEc = assertThrows(IllegalStateException.class, () -> ReceiptSigner.otherPublishedKeys(
                "{\"keys\":[" + rsa.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}", "k2"));
        assertTrue(notEc.getMessage().contains("previous-public-jwks") && notEc.getMessage().contains("P-256"), notEc.getMessage());
        var sameAsSigning = assertThrows(IllegalStateException.class,
                () -> ReceiptSigner.otherPublishedKeys("{\"keys\":[" + publicJwk("k2") + "]}", "k2"));
        assertTrue(sameAsSigning.getMessage().contains("k2 repeats"), sameAsSigning.getMessage());
        var twice = assertThrows(IllegalStateException.class, () -> ReceiptSigner.otherPublishedKeys(
                "{\"keys\":[" + publicJwk("k1") + "," + publicJwk("k1") + "]}", "k2"));
        assertTrue(twice.getMessage().contains("k1 repeats"), twice.getMessage());
        var noKid = assertThrows(IllegalStateException.class, () -> ReceiptSigner.otherPublishedKeys(
                "{\"keys\":[" + EcJwkGenerator.generateJwk(EllipticCurves.P256).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}", "k2"));
        assertTrue(noKid.getMessage().contains("one has none"), noKid.getMessage());
        var notJson = assertThrows(IllegalStateException.class, () -> ReceiptSigner.otherPublishedKeys("{", "k2"));
        assertTrue(notJson.getMessage().contains("not a valid JWKS"), notJson.getMessage());
    }
}
