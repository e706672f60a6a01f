package io.commercechat.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Points the service under test at the {@link TestIssuer}'s JWKS, issuer and audience. */
public class TestIssuerResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return TestIssuer.get().verificationConfig();
    }

    @Override
    public void stop() {
        // the issuer lives as long as the test JVM
    }
}
