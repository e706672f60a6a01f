package io.commercechat.systemtests.mesh;

import io.commercechat.identity.BrowserlessLogin;
import io.commercechat.identity.KeycloakLauncher;
import io.commercechat.mesh.MeshTools;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.SandboxBusinesses;
import io.commercechat.testkit.ServiceProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * The whole Commerce Chat mesh, started the way {@code ./mesh up} starts it: a real PostgreSQL (testkit's embedded
 * server, or {@code COMMERCECHAT_TEST_PG_URL}) with one fresh database per service, the mesh's development secrets
 * ({@code MeshTools keys}), Keycloak with the {@code commerce-chat} realm (identity's launcher, a fresh data dir so the
 * realm file is imported), and consent-service, sandbox, account-link-service and chat-service as separate
 * {@code java -jar} processes on free ports of 127.0.0.1, configured with the environment variables the mesh script
 * passes. Keycloak and the services start in parallel (the services fetch keys and tokens on first use).
 *
 * <p>Everything lives under {@code system-tests/target/mesh}: {@code logs/} (one per part), {@code keycloak/},
 * {@code secrets/}.
 */
public final class Mesh implements AutoCloseable {

    public static final String AUDIENCE = "commerce-chat";
    /** Partner client of the sandbox bank (the realm file's development secret). */
    public static final String BANK_CLIENT = "sandbox-bank";
    public static final String BANK_SECRET = "sandbox-bank-dev-secret";
    /** The public client of the web client: authorization code + PKCE. */
    public static final String WEB_CLIENT = "web";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(Long.getLong("systemtests.start-timeout", 240));

    private final Path dir;
    private final KeycloakLauncher.Handle keycloak;
    private final MeshService consent;
    private final MeshService sandbox;
    private final MeshService accountLink;
    private final MeshService chat;
    private final Duration startup;

    private Mesh(Path dir, KeycloakLauncher.Handle keycloak, MeshService consent, MeshService sandbox,
            MeshService accountLink, MeshService chat, Duration startup) {
        this.dir = dir;
        this.keycloak = keycloak;
        this.consent = consent;
        this.sandbox = sandbox;
        this.accountLink = accountLink;
        this.chat = chat;
        this.startup = startup;
    }

    /** Starts everything and waits until every part is ready; stops what did start when one part fails. */
    public static Mesh start() {
        long t0 = System.nanoTime();
        Path dir = Path.of(System.getProperty("systemtests.dir", "target")).toAbsolutePath().resolve("mesh");
        Path logs = dir.resolve("logs");
        Path secrets = dir.resolve("secrets");
        Path keycloakData = dir.resolve("keycloak");
        try {
            deleteRecursively(keycloakData); // a fresh realm import each run
            deleteRecursively(secrets);
            deleteRecursively(logs);
            Files.createDirectories(logs);
            // the mesh's own development secrets (receipt signing JWK, bank-token key, person_ref key)
            MeshTools.main(new String[] {"keys", "--dir", secrets.toString()});
        } catch (Exception e) {
            throw new IllegalStateException("could not prepare " + dir, e);
        }

        int keycloakPort = ServiceProcess.freePort();
        int consentPort = ServiceProcess.freePort();
        int sandboxPort = ServiceProcess.freePort();
        int accountLinkPort = ServiceProcess.freePort();
        int chatPort = ServiceProcess.freePort();
        String issuer = "http://127.0.0.1:" + keycloakPort + "/realms/" + KeycloakLauncher.REALM;

        // Keycloak: its first start after a fresh data dir imports the realm (the slowest part of the mesh)
        CompletableFuture<KeycloakLauncher.Handle> keycloak = CompletableFuture.supplyAsync(() -> {
            try {
                return KeycloakLauncher.start(keycloakHome(), keycloakPort, keycloakData, logs.resolve("keycloak.log"),
                        START_TIMEOUT);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        PostgresResource.Server pg = PostgresResource.server();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Map<String, String> dbs = new LinkedHashMap<>();
        for (String name : List.of("consent", "accountlink", "chat")) {
            String db = name + "_" + suffix;
            PostgresResource.createDatabase(pg, db);
            dbs.put(name, db);
        }

        Map<String, String> common = Map.of(
                "OIDC_ISSUER", issuer,
                "OIDC_JWKS_URL", issuer + "/protocol/openid-connect/certs",
                "OIDC_AUDIENCE", AUDIENCE,
                "OIDC_AUTH_SERVER_URL", issuer);

        Map<String, String> consentEnv = new LinkedHashMap<>(common);
        consentEnv.put("CONSENT_HTTP_PORT", Integer.toString(consentPort));
        putDatabase(consentEnv, "CONSENT_DB", pg, dbs.get("consent"));
        consentEnv.put("CONSENT_RECEIPTS_SIGNING_JWK", read(secrets.resolve("receipts-signing.jwk")));
        MeshService consent = new MeshService("consent-service", consentPort, consentEnv, List.of(), logs);

        Map<String, String> accountLinkEnv = new LinkedHashMap<>(common);
        accountLinkEnv.put("ACCOUNT_LINK_HTTP_PORT", Integer.toString(accountLinkPort));
        putDatabase(accountLinkEnv, "ACCOUNT_LINK_DB", pg, dbs.get("accountlink"));
        accountLinkEnv.put("ACCOUNT_LINK_CLIENT_SECRET", "account-link-service-dev-secret");
        accountLinkEnv.put("CONSENT_GRPC_HOST", "127.0.0.1");
        accountLinkEnv.put("CONSENT_GRPC_PORT", Integer.toString(consentPort));
        accountLinkEnv.put("SANDBOX_GRPC_HOST", "127.0.0.1");
        accountLinkEnv.put("SANDBOX_GRPC_PORT", Integer.toString(sandboxPort));
        accountLinkEnv.put("ACCOUNT_LINK_ALLOWED_REDIRECTS", "http://127.0.0.1:" + chatPort + "/,http://localhost:" + chatPort + "/");
        accountLinkEnv.put("ACCOUNT_LINK_TOKEN_KEY_ID", "mesh1");
        accountLinkEnv.put("ACCOUNTS_TOKEN_KEYS_MESH1", read(secrets.resolve("account-link-token.key")));
        MeshService accountLink = new MeshService("account-link-service", accountLinkPort, accountLinkEnv, List.of(
                "-Daccounts.banks.sandbox-bank.display-name=Sandbox Bank",
                "-Daccounts.banks.sandbox-bank.host=127.0.0.1",
                "-Daccounts.banks.sandbox-bank.port=" + sandboxPort,
                "-Daccounts.banks.sandbox-bank.tls=false",
                "-Daccounts.banks.sandbox-bank.token-scope=bank-sandbox-bank"), logs);

        Map<String, String> sandboxEnv = new LinkedHashMap<>(common);
        sandboxEnv.put("SANDBOX_HTTP_PORT", Integer.toString(sandboxPort));
        sandboxEnv.put("SANDBOX_PUBLIC_URL", "http://127.0.0.1:" + sandboxPort);
        sandboxEnv.put("SANDBOX_BANK_CLIENT_SECRET", BANK_SECRET);
        sandboxEnv.put("DEMO_SHOP_CLIENT_SECRET", "demo-shop-dev-secret");
        sandboxEnv.put("ACCOUNT_LINK_GRPC_HOST", "127.0.0.1");
        sandboxEnv.put("ACCOUNT_LINK_GRPC_PORT", Integer.toString(accountLinkPort));
        sandboxEnv.put("CHAT_GRPC_HOST", "127.0.0.1");
        sandboxEnv.put("CHAT_GRPC_PORT", Integer.toString(chatPort));
        MeshService sandbox = new MeshService("sandbox", sandboxPort, sandboxEnv, List.of(
                "-Dquarkus.grpc.clients.link-events.host=127.0.0.1",
                "-Dquarkus.grpc.clients.link-events.port=" + accountLinkPort,
                "-Dquarkus.grpc.clients.business-messaging.host=127.0.0.1",
                "-Dquarkus.grpc.clients.business-messaging.port=" + chatPort,
                "-Dquarkus.grpc.clients.business-inbox.host=127.0.0.1",
                "-Dquarkus.grpc.clients.business-inbox.port=" + chatPort,
                "-Dsandbox.test-hooks.enabled=true"), logs);

        Map<String, String> chatEnv = new LinkedHashMap<>(common);
        chatEnv.put("CHAT_HTTP_PORT", Integer.toString(chatPort));
        putDatabase(chatEnv, "CHAT_DB", pg, dbs.get("chat"));
        chatEnv.put("CHAT_PERSON_REF_KEY", read(secrets.resolve("chat-person-ref.key")));
        chatEnv.put("CHAT_CLIENT_SECRET", "chat-service-dev-secret");
        chatEnv.put("ACCOUNT_LINK_GRPC_HOST", "127.0.0.1");
        chatEnv.put("ACCOUNT_LINK_GRPC_PORT", Integer.toString(accountLinkPort));
        chatEnv.put("CONSENT_GRPC_HOST", "127.0.0.1");
        chatEnv.put("CONSENT_GRPC_PORT", Integer.toString(consentPort));
        MeshService chat = new MeshService("chat-service", chatPort, chatEnv, SandboxBusinesses.systemProperties(), logs);

        List<MeshService> services = List.of(consent, sandbox, accountLink, chat);
        List<MeshService> launched = new ArrayList<>();
        try {
            for (MeshService s : services) {
                s.launch();
                launched.add(s);
            }
            for (MeshService s : services) {
                s.awaitReady(START_TIMEOUT);
            }
            KeycloakLauncher.Handle kc = keycloak.join();
            Mesh mesh = new Mesh(dir, kc, consent, sandbox, accountLink, chat, Duration.ofNanos(System.nanoTime() - t0));
            // a test JVM that ends without JUnit closing the mesh (a killed build) takes no service with it otherwise
            Runtime.getRuntime().addShutdownHook(new Thread(() -> services.forEach(MeshService::close), "mesh-stop"));
            return mesh;
        } catch (RuntimeException e) {
            launched.forEach(MeshService::close);
            launched.forEach(s -> System.err.println(s.module() + " log: " + s.log()));
            keycloak.thenAccept(KeycloakLauncher.Handle::stop);
            throw e instanceof CompletionException && e.getCause() != null
                    ? new IllegalStateException("the mesh did not start: " + e.getCause().getMessage(), e.getCause())
                    : e;
        }
    }

    /**
     * The Keycloak distribution identity's build unpacked (its jar's build properties name it), as {@code ./mesh}
     * uses it; {@code -Dkeycloak.home} overrides.
     */
    private static Path keycloakHome() {
        String home = System.getProperty("keycloak.home");
        if (home == null) {
            try (var in = KeycloakLauncher.class.getResourceAsStream("identity-build.properties")) {
                java.util.Properties p = new java.util.Properties();
                if (in != null) {
                    p.load(in);
                }
                home = p.getProperty("keycloak.home");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (home == null || !Files.isRegularFile(Path.of(home, "bin", "kc.sh"))) {
            throw new IllegalStateException("no Keycloak distribution at " + home
                    + ": build identity first (./mvnw -B install -pl identity -DskipTests)");
        }
        return Path.of(home);
    }

    static Path repoRoot() {
        return ServiceProcess.repoRoot();
    }

    public String issuer() {
        return keycloak.issuer();
    }

    public KeycloakLauncher.Handle keycloak() {
        return keycloak;
    }

    public MeshService chat() {
        return chat;
    }

    public MeshService consent() {
        return consent;
    }

    public MeshService accountLink() {
        return accountLink;
    }

    public MeshService sandbox() {
        return sandbox;
    }

    public Path dir() {
        return dir;
    }

    /** How long {@link #start} took (every part ready). */
    public Duration startup() {
        return startup;
    }

    /** The web client's origin; also the redirect URI it registers with Keycloak and the bank. */
    public String webOrigin() {
        return chat.baseUrl();
    }

    /** A person's access token, as the web client gets it: authorization code + PKCE at Keycloak's login page. */
    public String signIn(String username, String password) {
        try {
            return BrowserlessLogin.login(issuer(), WEB_CLIENT, webOrigin() + "/", username, password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sandbox bank's partner token (client credentials), as the bank's agent systems get it. */
    public String bankToken() {
        try {
            return BrowserlessLogin.clientCredentials(issuer(), BANK_CLIENT, BANK_SECRET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the services (callers first), then Keycloak, as {@code ./mesh down} does. */
    @Override
    public void close() {
        for (MeshService s : List.of(chat, sandbox, accountLink, consent)) {
            s.close();
        }
        keycloak.stop();
    }

    /** PREFIX_URL (reactive), PREFIX_JDBC_URL (Flyway), PREFIX_USER, PREFIX_PASSWORD, as the mesh names them. */
    private static void putDatabase(Map<String, String> env, String prefix, PostgresResource.Server pg, String database) {
        env.put(prefix + "_URL", pg.reactiveUrl(database));
        env.put(prefix + "_JDBC_URL", pg.jdbcUrl(database));
        env.put(prefix + "_USER", pg.user());
        env.put(prefix + "_PASSWORD", pg.password());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
