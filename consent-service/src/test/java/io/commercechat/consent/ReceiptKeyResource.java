package io.commercechat.consent;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.keys.EllipticCurves;

/**
 * A receipt signing key made for this test JVM (never stored), handed to the service as its Secret would be, and an
 * earlier key, retired but still published (consent.receipts.previous-public-jwks), as after a rotation.
 */
public class ReceiptKeyResource implements QuarkusTestResourceLifecycleManager {

    static final String KEY_ID = "receipts-test-1";
    static final String RETIRED_KEY_ID = "receipts-test-0";
    private static String jwk;
    private static PublicJsonWebKey retired;

    /** The retired key with its private part, for tests that make a receipt as it signed before the rotation. */
    static synchronized PublicJsonWebKey retiredKey() {
        if (retired == null) {
            try {
                retired = EcJwkGenerator.generateJwk(EllipticCurves.P256);
                retired.setKeyId(RETIRED_KEY_ID);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return retired;
    }

    static synchronized String privateJwk() {
        if (jwk == null) {
            try {
                PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
                key.setKeyId(KEY_ID);
                jwk = key.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return jwk;
    }

    @Override
    public Map<String, String> start() {
        return Map.of("consent.receipts.signing-jwk", privateJwk(), "consent.receipts.previous-public-jwks",
                new JsonWebKeySet(retiredKey()).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
    }

    @Override
    public void stop() {
    }
}
