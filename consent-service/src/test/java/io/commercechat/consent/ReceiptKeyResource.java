package io.commercechat.consent;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.keys.EllipticCurves;

/** A receipt signing key made for this test JVM (never stored), handed to the service as its Secret would be. */
public class ReceiptKeyResource implements QuarkusTestResourceLifecycleManager {

    static final String KEY_ID = "receipts-test-1";
    private static String jwk;

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
        return Map.of("consent.receipts.signing-jwk", privateJwk());
    }

    @Override
    public void stop() {
    }
}
