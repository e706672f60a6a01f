package io.commercechat.accounts;

import io.commercechat.identity.KeycloakLauncher;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.ServiceProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The mesh around account-link-service with the real identity provider: Keycloak with the
 * commerce-chat realm (identity module), consent-service and the sandbox bank as processes, all
 * three services verifying Keycloak's tokens and getting their own with client credentials
 * (the realm's dev secrets). One Keycloak per test class that uses it.
 */
public class KeycloakMeshResource implements QuarkusTestResourceLifecycleManager {

    public static final String CLIENT_SECRET = "account-link-service-dev-secret";
    private static KeycloakMeshResource current;

    KeycloakLauncher.Handle keycloak;
    ServiceProcess consent;
    ServiceProcess sandbox;

    static KeycloakMeshResource current() {
        return current;
    }

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Path.of("target", "keycloak-test", UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
            Files.createDirectories(Path.of("target", "service-logs"));
            keycloak = KeycloakLauncher.start(keycloakHome(), KeycloakLauncher.freePort(), dir.resolve("data"),
                    Path.of("target", "service-logs", "keycloak-" + dir.getFileName() + ".log").toAbsolutePath());
        } catch (IOException e) {
            throw new IllegalStateException("could not start Keycloak", e);
        }
        Map<String, String> verification = Map.of(
                "mp.jwt.verify.publickey.location", keycloak.jwksUrl(),
                "mp.jwt.verify.issuer", keycloak.issuer(),
                "mp.jwt.verify.audiences", "commerce-chat");
        int port = ServiceProcess.freePort();

        PostgresResource.Server pg = PostgresResource.server();
        String db = "consent_kc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        PostgresResource.createDatabase(pg, db);
        consent = ServiceProcess.start("consent-service", MeshPeers.consentConfig(verification, pg, db));

        Map<String, String> bank = new HashMap<>(verification);
        bank.put("mp.jwt.verify.audiences", MeshPeers.BANK_AUDIENCE);
        for (String client : new String[] {"sandbox-bank", "demo-shop"}) {
            bank.put("quarkus.oidc-client." + client + ".auth-server-url", keycloak.issuer());
            bank.put("quarkus.oidc-client." + client + ".credentials.secret", client + "-dev-secret");
        }
        bank.put("quarkus.grpc.clients.link-events.host", "127.0.0.1");
        bank.put("quarkus.grpc.clients.link-events.port", Integer.toString(port));
        sandbox = ServiceProcess.start("sandbox", bank);
        current = this;

        Map<String, String> config = new HashMap<>(verification);
        config.put("quarkus.http.test-port", Integer.toString(port));
        config.put("quarkus.oidc-client.auth-server-url", keycloak.issuer());
        config.put("quarkus.oidc-client.credentials.secret", CLIENT_SECRET);
        config.put("accounts.consent-service.host", "127.0.0.1");
        config.put("accounts.consent-service.port", Integer.toString(consent.port()));
        config.put("accounts.banks.sandbox-bank.display-name", "Sandbox Bank");
        config.put("accounts.banks.sandbox-bank.host", "127.0.0.1");
        config.put("accounts.banks.sandbox-bank.port", Integer.toString(sandbox.port()));
        config.put("accounts.banks.sandbox-bank.token-scope", MeshPeers.BANK_TOKEN_SCOPE);
        config.put("accounts.token-keys.k1", MeshResource.KEY_1);
        config.put("accounts.token-keys-active", "k1");
        return config;
    }

    /** The distribution the identity module unpacked (its build writes the path into identity-build.properties). */
    private static Path keycloakHome() throws IOException {
        Properties build = new Properties();
        try (InputStream in = KeycloakLauncher.class.getResourceAsStream("/io/commercechat/identity/identity-build.properties")) {
            if (in != null) {
                build.load(in);
            }
        }
        String home = System.getProperty("keycloak.home", build.getProperty("keycloak.home", "../identity/target/keycloak/keycloak-26.5.6"));
        return Path.of(home);
    }

    @Override
    public void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
        if (consent != null) {
            consent.close();
        }
        if (keycloak != null) {
            keycloak.stop();
        }
        current = null;
    }
}
