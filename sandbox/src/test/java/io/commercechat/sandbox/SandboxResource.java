package io.commercechat.sandbox;

import io.commercechat.testkit.TestIssuer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Wires the sandbox to the test issuer (token verification and its own partner clients
 * {@code sandbox-bank} and {@code demo-shop}) and to the fake platform servers.
 */
public class SandboxResource implements QuarkusTestResourceLifecycleManager {

    /** The audience the bank verifies: what its clients' tokens for it carry, not the mesh's. */
    public static final String BANK_AUDIENCE = "sandbox-bank";

    @Override
    public Map<String, String> start() {
        TestIssuer issuer = TestIssuer.get();
        issuer.registerPartnerClient("sandbox-bank", "bank-test-secret", "sandbox-bank");
        issuer.registerPartnerClient("demo-shop", "shop-test-secret", "demo-shop");
        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("mp.jwt.verify.audiences", BANK_AUDIENCE);
        for (String client : new String[] {"sandbox-bank", "demo-shop"}) {
            config.put("quarkus.oidc-client." + client + ".auth-server-url", issuer.baseUrl());
            config.put("quarkus.oidc-client." + client + ".token-path", "/token");
        }
        config.put("quarkus.oidc-client.sandbox-bank.credentials.secret", "bank-test-secret");
        config.put("quarkus.oidc-client.demo-shop.credentials.secret", "shop-test-secret");
        config.put("quarkus.grpc.clients.link-events.host", "127.0.0.1");
        // in test mode Quarkus takes a gRPC client's port from test-port
        config.put("quarkus.grpc.clients.link-events.test-port", String.valueOf(FakePlatform.startLinkEvents()));
        config.put("quarkus.grpc.clients.business-messaging.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.business-messaging.test-port", String.valueOf(FakePlatform.startChat()));
        config.put("quarkus.grpc.clients.business-inbox.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.business-inbox.test-port", String.valueOf(FakePlatform.startChat()));
        return config;
    }

    @Override
    public void stop() {
        // the fake servers live as long as the test JVM
    }
}
