package io.commercechat.identity;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts the Keycloak distribution that the build unpacked ({@code identity/target/keycloak/keycloak-VERSION})
 * in development mode ({@code kc.sh start-dev}) with the {@code commerce-chat} realm imported, bound to
 * 127.0.0.1 only, and waits until the realm answers.
 *
 * <p>For development and end-to-end tests only: admin/admin bootstrap administrator, demo people and
 * dev client secrets (see identity/README.md).
 *
 * <p>Where the state lives: the H2 database ({@code --db=dev-file}) and the transaction log are kept in
 * {@code dataDir}; Keycloak itself writes two things into {@code keycloakHome}: the re-augmented build
 * ({@code lib/quarkus/}) on the first start and the realm file this launcher copies to
 * {@code data/import/} (Keycloak 26 reads {@code --import-realm} files only from there). The realm is imported
 * only when it does not exist yet in the database (Keycloak's IGNORE_EXISTING strategy), so a data dir kept from
 * an older realm file would keep the older realm. The launcher therefore stamps the data dir with the realm
 * file's SHA-256 ({@code realm.sha256}); when a database made from another realm file (or from before the stamp)
 * is found, it is moved aside to {@code replaced-TIME/} and Keycloak starts from the current realm file, saying
 * so. {@code --fresh} ({@link #main}) deletes the data dir instead.
 */
public final class KeycloakLauncher {

    public static final String REALM = "commerce-chat";
    /** Classpath location of the realm file. */
    public static final String REALM_RESOURCE = "/realm/commerce-chat-realm.json";
    /** In the data dir while Keycloak runs: kc.sh's pid (the Keycloak JVM's parent, or that JVM: kc.sh execs java to re-augment). */
    public static final String SERVER_PID_FILE = "keycloak-server.pid";
    public static final String ADMIN_USERNAME = "admin";
    public static final String ADMIN_PASSWORD = "admin";
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private KeycloakLauncher() {
    }

    /** Starts Keycloak and waits up to {@link #DEFAULT_STARTUP_TIMEOUT} for the realm to answer. */
    public static Handle start(Path keycloakHome, int httpPort, Path dataDir, Path logFile) throws IOException {
        return start(keycloakHome, httpPort, dataDir, logFile, DEFAULT_STARTUP_TIMEOUT);
    }

    /**
     * Starts Keycloak.
     *
     * @param keycloakHome the unpacked distribution (holds {@code bin/kc.sh}); must be writable
     * @param httpPort     the HTTP port on 127.0.0.1; must be free
     * @param dataDir      where Keycloak keeps its H2 database and transaction log (created if missing)
     * @param logFile      Keycloak's console output is appended here; {@code null}: inherit this process's stdout/stderr
     * @param timeout      how long to wait for {@code /realms/commerce-chat/.well-known/openid-configuration}
     * @return a handle; {@link Handle#stop()} it (a JVM shutdown hook stops it too, if this JVM exits first)
     * @throws IOException when Keycloak cannot be started, exits early, or is not ready in time (then it is stopped)
     */
    public static Handle start(Path keycloakHome, int httpPort, Path dataDir, Path logFile, Duration timeout)
            throws IOException {
        Path home = keycloakHome.toAbsolutePath().normalize();
        Path kcSh = home.resolve("bin").resolve("kc.sh");
        if (!Files.isRegularFile(kcSh)) {
            throw new IOException("no Keycloak distribution at " + home + " (missing bin/kc.sh); build it with "
                    + "'./mvnw -pl identity package'");
        }
        if (httpPort <= 0 || httpPort > 65535) {
            throw new IllegalArgumentException("bad HTTP port " + httpPort);
        }
        requireFreePort(httpPort);
        int managementPort = freePort();

        Path data = dataDir.toAbsolutePath().normalize();
        byte[] realm;
        try (InputStream in = KeycloakLauncher.class.getResourceAsStream(REALM_RESOURCE)) {
            if (in == null) {
                throw new IOException("realm file " + REALM_RESOURCE + " is not on the classpath");
            }
            realm = in.readAllBytes();
        }
        Path replaced = prepareDataDir(data, realm);
        if (replaced != null) {
            System.out.println("The realm file changed since " + data + " was made: starting from the current realm"
                    + " (the old Keycloak database is kept in " + replaced + ")");
        }
        Path importDir = home.resolve("data").resolve("import");
        Files.createDirectories(importDir);
        Files.write(importDir.resolve("commerce-chat-realm.json"), realm);

        String base = "http://127.0.0.1:" + httpPort;
        List<String> command = new ArrayList<>(List.of(
                "/bin/sh", kcSh.toString(), "start-dev",
                "--http-host=127.0.0.1",
                "--http-port=" + httpPort,
                // the issuer is always http://127.0.0.1:PORT/realms/commerce-chat, whatever Host a client sends
                "--hostname=" + base,
                "--health-enabled=true",
                // /health/ready on the main port, so that the management port (default 9000) is not needed
                "--http-management-health-enabled=false",
                "--http-management-port=" + managementPort,
                "--db=dev-file",
                // the same URL options Keycloak puts on its default dev-file URL, but in our data dir
                "--db-url=jdbc:h2:file:" + data.resolve("h2").resolve("keycloakdb") + ";NON_KEYWORDS=VALUE;DB_CLOSE_ON_EXIT=FALSE",
                "--import-realm",
                "-Dquarkus.transaction-manager.object-store.directory=" + data.resolve("transaction-logs")));

        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
        Map<String, String> env = pb.environment();
        // nothing from the caller's environment may reconfigure this Keycloak (KC_DB=..., QUARKUS_HTTP_PORT=...)
        env.keySet().removeIf(k -> k.startsWith("KC_") || k.startsWith("KEYCLOAK_") || k.startsWith("QUARKUS_")
                || k.equals("JAVA") || k.equals("JAVA_OPTS") || k.equals("JAVA_OPTS_APPEND") || k.equals("JAVA_ADD_OPENS")
                || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS") || k.equals("DEBUG") || k.equals("DEBUG_PORT"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USERNAME);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        pb.redirectErrorStream(true);
        if (logFile == null) {
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        } else {
            Path log = logFile.toAbsolutePath();
            if (log.getParent() != null) {
                Files.createDirectories(log.getParent());
            }
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }

        Process process = pb.start();
        // kc.sh and its Keycloak JVM outlive a launcher killed with SIGKILL (no shutdown hook runs): the file names
        // kc.sh, so that whoever manages this data dir (./mesh) can stop what was left running on it
        Path serverPid = data.resolve(SERVER_PID_FILE);
        Files.writeString(serverPid, process.pid() + "\n");
        Handle handle = new Handle(process, httpPort, logFile, serverPid);
        try {
            handle.awaitReady(timeout);
        } catch (IOException | RuntimeException e) {
            handle.stop();
            throw e;
        }
        return handle;
    }

    /** A free TCP port on 127.0.0.1 (free now; a caller should use it soon). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    private static void requireFreePort(int port) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        } catch (IOException e) {
            throw new IOException("port " + port + " on 127.0.0.1 is in use (another Keycloak?)", e);
        }
    }

    /** A running Keycloak. */
    public static final class Handle implements AutoCloseable {
        private final Process process;
        private final int port;
        private final Path logFile;
        private final Thread shutdownHook;
        private volatile boolean stopped;

        private final Path serverPid;

        private Handle(Process process, int port, Path logFile, Path serverPid) {
            this.serverPid = serverPid;
            this.process = process;
            this.port = port;
            this.logFile = logFile;
            this.shutdownHook = new Thread(this::stopQuietly, "keycloak-stop-" + port);
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }

        public int port() {
            return port;
        }

        /** {@code http://127.0.0.1:PORT} */
        public String baseUrl() {
            return "http://127.0.0.1:" + port;
        }

        /** {@code http://127.0.0.1:PORT/realms/commerce-chat} */
        public String issuer() {
            return baseUrl() + "/realms/" + REALM;
        }

        public String jwksUrl() {
            return issuer() + "/protocol/openid-connect/certs";
        }

        public String tokenUrl() {
            return issuer() + "/protocol/openid-connect/token";
        }

        public String authorizationUrl() {
            return issuer() + "/protocol/openid-connect/auth";
        }

        public String adminConsoleUrl() {
            return baseUrl() + "/admin/";
        }

        public Path logFile() {
            return logFile;
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** Blocks until Keycloak exits; returns its exit code. */
        public int waitFor() throws InterruptedException {
            return process.waitFor();
        }

        /** Stops Keycloak (SIGTERM, then SIGKILL after 30 s) and waits for it. Idempotent. */
        public synchronized void stop() {
            if (stopped) {
                return;
            }
            stopQuietly();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // called from within shutdown: the hook is running or done
            }
        }

        @Override
        public void close() {
            stop();
        }

        private synchronized void stopQuietly() {
            if (stopped) {
                return;
            }
            stopped = true;
            // kc.sh forwards SIGTERM to its java child and waits for it
            List<ProcessHandle> children;
            try (Stream<ProcessHandle> d = process.descendants()) {
                children = d.toList();
            }
            process.destroy();
            boolean exited = false;
            try {
                exited = process.waitFor(30, TimeUnit.SECONDS);
                for (ProcessHandle child : children) {
                    child.onExit().get(exited ? 10 : 0, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception timeoutOrFailure) {
                // fall through to the forced kill
            }
            for (ProcessHandle child : children) {
                if (child.isAlive()) {
                    child.destroyForcibly();
                }
            }
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            try {
                Files.deleteIfExists(serverPid);
            } catch (IOException e) {
                // a stale file names a process that is gone: its reader checks that it is alive and kc.sh
            }
        }

        private void awaitReady(Duration timeout) throws IOException {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            URI wellKnown = URI.create(issuer() + "/.well-known/openid-configuration");
            String expectedIssuer = "\"issuer\":\"" + issuer() + "\"";
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "no answer yet";
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException("Keycloak exited with code " + process.exitValue() + " before it was ready"
                            + logTail());
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(wellKnown).timeout(Duration.ofSeconds(5)).GET().build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                    if (r.statusCode() == 200 && r.body().contains(expectedIssuer)) {
                        return;
                    }
                    last = "HTTP " + r.statusCode();
                } catch (IOException notYet) {
                    last = notYet.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for Keycloak", e);
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for Keycloak", e);
                }
            }
            throw new IOException("Keycloak was not ready within " + timeout.toSeconds() + " s (last: " + last + ")"
                    + logTail());
        }

        private String logTail() {
            if (logFile == null || !Files.isRegularFile(logFile)) {
                return "";
            }
            try {
                List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
                return "; last lines of " + logFile + ":\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException | UncheckedIOException e) {
                return "; see " + logFile;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // command line

    private static final String USAGE = """
            usage: java -cp identity/target/classes io.commercechat.identity.KeycloakLauncher \\
                     [--port 8180] [--home identity/target/keycloak/keycloak-VERSION] [--data .mesh/keycloak] \\
                     [--log FILE] [--timeout SECONDS] [--fresh]
              --port     HTTP port on 127.0.0.1 (default 8180)
              --home     the unpacked Keycloak distribution (default: the one this build unpacked)
              --data     Keycloak's H2 database and transaction log (default .mesh/keycloak)
              --log      append Keycloak's output to FILE instead of printing it
              --timeout  seconds to wait for readiness (default 90)
              --fresh    delete the data dir first (re-imports the realm file)
            Runs in the foreground; SIGTERM or Ctrl-C stops Keycloak.""";

    /** Starts Keycloak and stays in the foreground until it exits or this JVM is told to stop. */
    public static void main(String[] args) throws Exception {
        Properties build = buildProperties();
        int port = 8180;
        Path home = build.getProperty("keycloak.home") == null ? null : Path.of(build.getProperty("keycloak.home"));
        Path data = Path.of(".mesh", "keycloak");
        Path log = null;
        long timeoutSeconds = DEFAULT_STARTUP_TIMEOUT.toSeconds();
        boolean fresh = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--port" -> port = Integer.parseInt(value != null ? value : next(args, ++i, a));
                case "--home" -> home = Path.of(value != null ? value : next(args, ++i, a));
                case "--data" -> data = Path.of(value != null ? value : next(args, ++i, a));
                case "--log" -> log = Path.of(value != null ? value : next(args, ++i, a));
                case "--timeout" -> timeoutSeconds = Long.parseLong(value != null ? value : next(args, ++i, a));
                case "--fresh" -> fresh = true;
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.err.println(USAGE);
                    System.exit(2);
                }
            }
        }
        if (home == null) {
            System.err.println("--home is required (no build properties found)");
            System.exit(2);
        }
        if (fresh) {
            deleteRecursively(data);
        }
        Handle kc;
        try {
            kc = start(home, port, data, log, Duration.ofSeconds(timeoutSeconds));
        } catch (IOException e) {
            System.err.println("Keycloak did not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("Keycloak is ready (realm " + REALM + ", Keycloak " + build.getProperty("keycloak.version", "?") + ")");
        System.out.println("  issuer:        " + kc.issuer());
        System.out.println("  jwks:          " + kc.jwksUrl());
        System.out.println("  token:         " + kc.tokenUrl());
        System.out.println("  admin console: " + kc.adminConsoleUrl() + " (" + ADMIN_USERNAME + "/" + ADMIN_PASSWORD + ")");
        System.out.println("  data:          " + data.toAbsolutePath());
        System.out.flush();
        int code = kc.waitFor();
        // reached when Keycloak exits on its own; on SIGTERM/Ctrl-C the shutdown hook stops it instead
        System.exit(code == 143 ? 0 : code);
    }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** keycloak.version and keycloak.home as the build set them (filtered resource). */
    static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = KeycloakLauncher.class.getResourceAsStream("identity-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // defaults only
        }
        return p;
    }

    /**
     * Makes {@code data} ready for a start from {@code realm}: a database made from another realm file (the
     * stamp differs or is missing) is moved to {@code replaced-TIME/}, whose path is returned (else null);
     * the stamp is then the current realm's.
     */
    static Path prepareDataDir(Path data, byte[] realm) throws IOException {
        Path stamp = data.resolve("realm.sha256");
        String current = sha256(realm);
        Path moved = null;
        boolean hasDatabase = Files.isDirectory(data.resolve("h2")) && !isEmpty(data.resolve("h2"));
        if (hasDatabase && !(Files.isRegularFile(stamp) && Files.readString(stamp).strip().equals(current))) {
            String name = "replaced-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(LocalDateTime.now());
            moved = data.resolve(name);
            for (int n = 2; Files.exists(moved); n++) {
                moved = data.resolve(name + "-" + n);
            }
            Files.createDirectories(moved);
            for (String part : List.of("h2", "transaction-logs")) {
                if (Files.exists(data.resolve(part))) {
                    Files.move(data.resolve(part), moved.resolve(part));
                }
            }
        }
        Files.createDirectories(data.resolve("h2"));
        Files.writeString(stamp, current + "\n");
        return moved;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
