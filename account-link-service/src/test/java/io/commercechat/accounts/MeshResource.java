package io.commercechat.accounts;

import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Wires account-link-service under test to its real peers (see {@link MeshPeers}): consent-service,
 * the sandbox bank as {@code sandbox-bank}, its own client-credentials identity at the test
 * issuer, two token-encryption keys, and a fixed port the sandbox can call back on.
 */
public class MeshResource implements QuarkusTestResourceLifecycleManager {

    public static final String KEY_1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    public static final String KEY_2 = "H+Hd3Nva2djX1tXU09LR0M/OzczLysnIx8bFxMPCwcA=";
    static final String CLIENT_SECRET = "account-link-service-test-secret";
    private static int port;

    @Override
    public synchronized Map<String, String> start() {
        TestIssuer issuer = TestIssuer.get();
        issuer.registerServiceClient("account-link-service", CLIENT_SECRET);
        if (port == 0) {
            port = ServiceProcess.freePort();
        }
        MeshPeers peers = MeshPeers.start(port);
        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("quarkus.http.test-port", Integer.toString(port));
        config.put("quarkus.oidc-client.auth-server-url", issuer.baseUrl());
        config.put("quarkus.oidc-client.token-path", "/token");
        config.put("quarkus.oidc-client.credentials.secret", CLIENT_SECRET);
        config.put("accounts.consent-service.host", "127.0.0.1");
        config.put("accounts.consent-service.port", Integer.toString(peers.consent.port()));
        config.put("accounts.banks.sandbox-bank.display-name", "Sandbox Bank");
        config.put("accounts.banks.sandbox-bank.host", "127.0.0.1");
        config.put("accounts.banks.sandbox-bank.port", Integer.toString(peers.sandbox.port()));
        config.put("accounts.banks.sandbox-bank.tls", "false");
        config.put("accounts.banks.sandbox-bank.token-scope", MeshPeers.BANK_TOKEN_SCOPE);
        config.put("accounts.token-keys.k1", KEY_1);
        config.put("accounts.token-keys.k2", KEY_2);
        config.put("accounts.token-keys-active", "k2");
        config.put("accounts.token-keys-retiring", "k1");
        // TokenKeyRotationTest runs the sweep itself (after the one at start), in batches of two
        config.put("accounts.token-rekey-interval", "1h");
        config.put("accounts.token-rekey-batch-size", "2");
        config.put("accounts.circuit-breaker.request-volume-threshold", "4");
        config.put("accounts.circuit-breaker.delay", "1s");
        config.put("accounts.revocation-retry-interval", "1s");
        config.put("accounts.consent-end-retry-interval", "1s");
        config.put("accounts.consent-events.reconnect-delay", "500ms");
        // shorter than the sandbox's 365 days of history, so clipping is visible
        config.put("accounts.transactions-max-history", "P120D");
        return config;
    }

    @Override
    public void stop() {
        // the peers live as long as the test JVM
    }
}
