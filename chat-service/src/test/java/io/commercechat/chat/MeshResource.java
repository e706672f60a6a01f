package io.commercechat.chat;

import io.commercechat.testkit.TestIssuer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Wires chat-service under test to its real peers (see {@link MeshPeers}) and gives it its own
 * client-credentials identity ({@code chat-service}) at the test issuer.
 */
public class MeshResource implements QuarkusTestResourceLifecycleManager {

    static final String CLIENT_SECRET = "chat-service-test-secret";

    /** The network between chat-service under test and consent-service. */
    static TcpRelay consentRelay;

    @Override
    public Map<String, String> start() {
        TestIssuer issuer = TestIssuer.get();
        issuer.registerServiceClient("chat-service", CLIENT_SECRET);
        MeshPeers peers = MeshPeers.start();
        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("quarkus.oidc-client.auth-server-url", issuer.baseUrl());
        config.put("quarkus.oidc-client.token-path", "/token");
        config.put("quarkus.oidc-client.credentials.secret", CLIENT_SECRET);
        // consent-service through a relay that a test can cut (AssistantTest: a consent event stream on a dead connection)
        try {
            consentRelay = new TcpRelay(peers.consent.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // in test mode a gRPC client connects to its test-port (by default the service's own)
        for (var peer : Map.of("account-link", peers.accountLink.port(), "consent", consentRelay.port()).entrySet()) {
            config.put("quarkus.grpc.clients." + peer.getKey() + ".host", "127.0.0.1");
            config.put("quarkus.grpc.clients." + peer.getKey() + ".port", Integer.toString(peer.getValue()));
            config.put("quarkus.grpc.clients." + peer.getKey() + ".test-port", Integer.toString(peer.getValue()));
        }
        // a connection that went silent is found within seconds (gRPC's least keep-alive time is 10 s)
        config.put("quarkus.grpc.clients.consent.keep-alive-time", "PT10S");
        config.put("quarkus.grpc.clients.consent.keep-alive-timeout", "PT2S");
        config.put("chat.consent-events.enabled", "true");
        config.put("chat.consent-events.reconnect-delay", "PT0.5S");
        // one card a transaction, so that a consent's several cards are replaced across transactions
        config.put("chat.consent-events.redactions-per-transaction", "1");
        return config;
    }

    @Override
    public void stop() {
        // the peers live as long as the test JVM; the relay as long as the application it was made for
        try {
            consentRelay.close();
        } catch (IOException e) {
            // its threads are daemons
        }
    }
}
