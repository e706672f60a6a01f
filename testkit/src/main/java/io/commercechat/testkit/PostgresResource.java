package io.commercechat.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/**
 * A real PostgreSQL for service tests: one embedded server per test JVM (io.zonky.test), or the
 * server named by {@code COMMERCECHAT_TEST_PG_URL} (postgresql://user:password@host:port). Each
 * Quarkus start gets a fresh database, and both the JDBC (Flyway) and reactive URLs point to it.
 */
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

    private static EmbeddedPostgres embedded;

    @Override
    public Map<String, String> start() {
        Server server = server();
        String database = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        createDatabase(server, database);
        return Map.of(
                "quarkus.datasource.jdbc.url", server.jdbcUrl(database),
                "quarkus.datasource.reactive.url", server.reactiveUrl(database),
                "quarkus.datasource.username", server.user(),
                "quarkus.datasource.password", server.password(),
                "quarkus.devservices.enabled", "false");
    }

    @Override
    public void stop() {
        // The embedded server lives as long as the test JVM; it is shut down by its own hook.
    }

    /** The server tests run against (started on first use). */
    public static synchronized Server server() {
        String external = externalUrl();
        if (external != null) {
            URI uri = URI.create(external.replaceFirst("^jdbc:", ""));
            String[] userInfo = uri.getUserInfo() == null ? new String[] {"postgres", ""} : uri.getUserInfo().split(":", 2);
            return new Server(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), userInfo[0],
                    userInfo.length > 1 ? userInfo[1] : "");
        }
        if (embedded == null) {
            embedded = startEmbedded(false, Map.of());
        }
        return new Server("127.0.0.1", embedded.getPort(), "postgres", "postgres");
    }

    /**
     * A server for measurements, whose commits reach the disk as production's do: the one named by
     * {@code COMMERCECHAT_TEST_PG_URL} (configured by whoever runs it), else an embedded server of its own with
     * {@code fsync=on}, stopped with the JVM. The embedded one keeps PostgreSQL's defaults otherwise, as the
     * k8s Cluster does (it sets no server parameters).
     */
    public static Server durableServer() {
        return durableServer(Map.of());
    }

    /** {@link #durableServer()} with further server settings (an embedded server only; an external one keeps its own). */
    public static Server durableServer(Map<String, String> settings) {
        if (external()) {
            return server();
        }
        EmbeddedPostgres durable = startEmbedded(true, settings);
        return new Server("127.0.0.1", durable.getPort(), "postgres", "postgres");
    }

    /** Whether the servers are the one {@code COMMERCECHAT_TEST_PG_URL} names rather than embedded ones. */
    public static boolean external() {
        return externalUrl() != null;
    }

    private static String externalUrl() {
        String external = System.getenv("COMMERCECHAT_TEST_PG_URL");
        return external == null || external.isBlank() ? null : external;
    }

    /**
     * durable: commits flushed to disk as production's are (zonky's defaults flush nothing: -F and
     * synchronous_commit=off; a later -c wins); otherwise fsync stays off, as durability is not under test.
     */
    private static EmbeddedPostgres startEmbedded(boolean durable, Map<String, String> settings) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    // as production's clusters (k8s/overlays/prod/database.yaml): initdb would otherwise take the
                    // machine's LANG, and text would sort one way in the tests and another in production
                    .setLocaleConfig("locale", "C")
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", durable ? "on" : "off");
            if (durable) {
                builder.setServerConfig("synchronous_commit", "on");
            }
            settings.forEach(builder::setServerConfig);
            EmbeddedPostgres started = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (Exception ignored) {
                    // JVM is exiting
                }
            }));
            return started;
        } catch (Exception e) {
            throw new IllegalStateException("could not start embedded PostgreSQL", e);
        }
    }

    /** Creates an empty database; returns its name. */
    public static void createDatabase(Server server, String database) {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl("postgres"), server.user(), server.password());
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        } catch (Exception e) {
            throw new IllegalStateException("could not create test database " + database, e);
        }
    }

    public record Server(String host, int port, String user, String password) {
        public String jdbcUrl(String database) {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        public String reactiveUrl(String database) {
            return "postgresql://" + host + ":" + port + "/" + database;
        }
    }
}
