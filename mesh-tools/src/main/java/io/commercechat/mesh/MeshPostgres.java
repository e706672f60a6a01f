package io.commercechat.mesh;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The mesh's PostgreSQL: a real server from the io.zonky.test binaries, with a persistent data directory
 * (initdb runs only when the directory holds no cluster yet) on a fixed port of 127.0.0.1.
 *
 * <p>The server authenticates local connections with {@code trust} (zonky's initdb), as a developer's
 * machine-local database usually does; each service still gets its own role and database, so nothing
 * shares tables.
 */
final class MeshPostgres {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Duration STOP_CHECK = Duration.ofSeconds(2);

    record Database(String name, String user, String password) {
        static Database parse(String spec) {
            String[] parts = spec.split(":", 3);
            if (parts.length != 3 || !IDENTIFIER.matcher(parts[0]).matches() || !IDENTIFIER.matcher(parts[1]).matches()) {
                throw new IllegalArgumentException("--database needs NAME:USER:PASSWORD with lower-case identifiers, got "
                        + spec);
            }
            return new Database(parts[0], parts[1], parts[2]);
        }
    }

    private final int port;
    private final Path dataDir;
    private final List<Database> databases;
    private final Path readyFile;

    MeshPostgres(int port, Path dataDir, List<Database> databases, Path readyFile) {
        this.port = port;
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.databases = databases;
        this.readyFile = readyFile == null ? null : readyFile.toAbsolutePath().normalize();
    }

    /** Runs until SIGTERM/Ctrl-C (the JVM exits through the shutdown hook) or until PostgreSQL dies on its own (then 1). */
    int run() throws Exception {
        deleteReadyFile();
        // a postmaster left over from a killed ./mesh still holds the data directory
        Optional<Long> running = postmasterPid().filter(MeshPostgres::isPostgresProcess);
        if (running.isPresent()) {
            System.err.println("PostgreSQL is already running on " + dataDir + " (postmaster pid " + running.get()
                    + "): stop it first (./mesh down)");
            return 1;
        }
        if (!portIsFree(port)) {
            System.err.println("port " + port + " on 127.0.0.1 is in use; choose another one (MESH_POSTGRES_PORT)");
            return 1;
        }
        Optional<String> madeBy = dataVersion();
        String major = serverMajorVersion();
        if (madeBy.isPresent() && !madeBy.get().equals(major)) {
            // PostgreSQL would refuse it too, but only after the start timeout, and with no way out
            System.err.println("The data in " + dataDir + " was made by PostgreSQL " + madeBy.get() + "; the mesh runs "
                    + major + " (the major version k8s deploys) and cannot open it. Dump it with PostgreSQL " + madeBy.get()
                    + " (pg_dumpall) if you need it, or start empty: ./mesh down && rm -rf " + dataDir);
            return 1;
        }
        boolean fresh = !Files.exists(dataDir.resolve("postgresql.conf"));
        Files.createDirectories(dataDir);

        long started = System.nanoTime();
        EmbeddedPostgres postgres = open();

        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            deleteReadyFile();
            System.out.println("stopping PostgreSQL (fast shutdown: committed transactions are kept)");
            try {
                postgres.close();
                System.out.println("PostgreSQL stopped");
            } catch (IOException | RuntimeException e) {
                System.err.println("PostgreSQL did not stop cleanly: " + e);
            }
        }, "postgres-stop"));

        if (readyFile != null) {
            Files.createDirectories(readyFile.getParent());
            Files.writeString(readyFile, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
        }
        System.out.printf("PostgreSQL ready on 127.0.0.1:%d (%s data in %s, %.1f s); databases: %s%n", port,
                fresh ? "new" : "existing", dataDir, (System.nanoTime() - started) / 1e9,
                String.join(", ", databases.stream().map(Database::name).toList()));
        System.out.flush();

        // Stay in the foreground while PostgreSQL runs; a postmaster that dies by itself ends this process too.
        while (true) {
            Thread.sleep(STOP_CHECK.toMillis());
            Optional<Long> pid = postmasterPid();
            boolean alive = pid.flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
            if (!alive && !stopping.get()) {
                System.err.println("PostgreSQL exited unexpectedly; see the lines above");
                deleteReadyFile();
                return 1;
            }
        }
    }

    /** Starts the server on the kept data directory and makes sure every database exists; the caller closes it. */
    EmbeddedPostgres open() throws IOException, SQLException {
        EmbeddedPostgres postgres = start();
        try {
            for (Database db : databases) {
                ensureDatabase(db);
            }
            return postgres;
        } catch (SQLException | RuntimeException e) {
            try {
                postgres.close();
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** Starts the server on the kept data directory (initdb only when it holds no cluster yet). */
    private EmbeddedPostgres start() throws IOException {
        return EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false) // the default (true) deletes the data on close and re-runs initdb
                .setPort(port)
                .setLocaleConfig("locale", "C") // initdb only: as production's clusters, whatever the machine's LANG
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200")
                // zonky's test defaults trade durability for speed (-F, synchronous_commit=off); this database keeps
                // a developer's conversations and links, so a commit is on disk when it returns (later -c wins over -F)
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setPGStartupWait(Duration.ofSeconds(60))
                .setRegisterShutdownHook(false) // our own hook below, so that it is the only one and it reports
                .setOutputRedirector(ProcessBuilder.Redirect.INHERIT)
                .setErrorRedirector(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** The major version of the binaries this build runs, e.g. "17" (mesh-postgres.properties, filtered by Maven). */
    private static String serverMajorVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = MeshPostgres.class.getResourceAsStream("/mesh-postgres.properties")) {
            if (in == null) {
                throw new IOException("mesh-postgres.properties is missing from the classpath");
            }
            p.load(in);
        }
        return p.getProperty("binaries-version").split("\\.")[0];
    }

    /** The major version that made the data directory ({@code PG_VERSION}), if there is one. */
    private Optional<String> dataVersion() {
        try {
            return Optional.of(Files.readString(dataDir.resolve("PG_VERSION"), StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void ensureDatabase(Database db) throws SQLException {
        String admin = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        try (Connection c = DriverManager.getConnection(admin, "postgres", "")) {
            if (!exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", db.user())) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE ROLE " + db.user() + " LOGIN PASSWORD " + literal(db.password()));
                }
                System.out.println("created role " + db.user());
            }
            if (!exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", db.name())) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + db.name() + " OWNER " + db.user() + " ENCODING 'UTF8'");
                }
                // the owner owns its schema too (PostgreSQL 15+ no longer lets everyone create in public)
                try (Connection dbc = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db.name(),
                        "postgres", ""); Statement s = dbc.createStatement()) {
                    s.execute("ALTER SCHEMA public OWNER TO " + db.user());
                }
                System.out.println("created database " + db.name() + " (owner " + db.user() + ")");
            }
        }
    }

    private static boolean exists(Connection c, String sql, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** The postmaster's pid from {@code postmaster.pid} (its first line), if the file exists. */
    private Optional<Long> postmasterPid() {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Alive and (as far as the OS tells) a postgres: a pid from a stale postmaster.pid may belong to anything now. */
    private static boolean isPostgresProcess(long pid) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .map(ph -> ph.info().command().map(c -> c.endsWith("postgres")).orElse(true))
                .orElse(false);
    }

    private static boolean portIsFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void deleteReadyFile() {
        if (readyFile != null) {
            try {
                Files.deleteIfExists(readyFile);
            } catch (IOException ignored) {
                // best effort: the script also checks that this process is alive
            }
        }
    }
}
