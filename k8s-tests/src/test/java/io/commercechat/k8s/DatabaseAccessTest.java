package io.commercechat.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The prod database's pg_hba rules, run in a real PostgreSQL: a database that CloudNativePG creates
 * grants CONNECT to PUBLIC, so these rules are what keeps one service's role out of another's database.
 * The server's pg_hba.conf is laid out as CloudNativePG lays it out: its fixed rules (here one trust
 * line for the test's superuser, standing in for the local peer rule), the Cluster's rules, then its
 * default rule. The test starts a server of its own rather than the testkit's shared one, because it rewrites
 * the server's pg_hba.conf.
 */
class DatabaseAccessTest {

    /** Service role → the database it owns, as the prod overlay declares them. */
    private static final Map<String, String> OWN_DATABASE = new HashMap<>();
    private static final String PASSWORD = "a-test-password";

    private static EmbeddedPostgres server;
    private static Path data;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void startWithTheProdRules() throws Exception {
        Overlay prod = Overlay.of("prod");
        Map<String, Object> spec = WorkloadInvariantsTest.spec(prod.generic("Cluster").get(0));
        Map<String, Object> initdb = (Map<String, Object>) ((Map<String, Object>) spec.get("bootstrap")).get("initdb");
        OWN_DATABASE.put((String) initdb.get("owner"), (String) initdb.get("database"));
        prod.generic("Database").stream().map(WorkloadInvariantsTest::spec)
                .forEach(d -> OWN_DATABASE.put((String) d.get("owner"), (String) d.get("name")));
        assertEquals(3, OWN_DATABASE.size(), "one role and one database per service: " + OWN_DATABASE);
        List<String> rules = (List<String>) ((Map<String, Object>) spec.get("postgresql")).get("pg_hba");
        assertTrue(rules != null && !rules.isEmpty(), "the prod Cluster declares pg_hba rules");

        data = Files.createTempDirectory("pg-hba");
        server = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(true)
                .setLocaleConfig("locale", "C").start();
        try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
            for (var e : OWN_DATABASE.entrySet()) {
                s.execute("CREATE ROLE " + e.getKey() + " LOGIN PASSWORD '" + PASSWORD + "'");
                s.execute("CREATE DATABASE " + e.getValue() + " OWNER " + e.getKey());
            }
        }
        List<String> hba = new ArrayList<>();
        hba.add("host all postgres 127.0.0.1/32 trust");
        hba.addAll(rules);
        hba.add("host all all all scram-sha-256");
        Files.write(data.resolve("pg_hba.conf"), hba);
        try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("SELECT pg_reload_conf()");
            try (ResultSet r = s.executeQuery("SELECT count(*), count(error) FROM pg_hba_file_rules")) {
                r.next();
                assertEquals(hba.size(), r.getInt(1), "every line is a rule PostgreSQL read");
                assertEquals(0, r.getInt(2), "no line PostgreSQL refused");
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void eachServiceRoleOpensItsOwnDatabaseWithItsPassword() throws SQLException {
        for (var e : OWN_DATABASE.entrySet()) {
            try (Connection c = connect(e.getKey(), e.getValue(), PASSWORD); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT current_user, current_database()")) {
                r.next();
                assertEquals(e.getKey(), r.getString(1));
                assertEquals(e.getValue(), r.getString(2));
            }
            SQLException wrongPassword = assertThrows(SQLException.class, () -> connect(e.getKey(), e.getValue(), "not-" + PASSWORD).close());
            assertTrue(wrongPassword.getMessage().contains("password authentication failed"), wrongPassword.getMessage());
        }
    }

    @Test
    void noServiceRoleOpensAnotherDatabase() {
        List<String> databases = new ArrayList<>(OWN_DATABASE.values());
        databases.addAll(List.of("postgres", "template1"));
        for (String role : OWN_DATABASE.keySet()) {
            for (String database : databases) {
                if (database.equals(OWN_DATABASE.get(role))) continue;
                SQLException refused = assertThrows(SQLException.class, () -> connect(role, database, PASSWORD).close(),
                        role + " must not open " + database);
                assertTrue(refused.getMessage().contains("pg_hba.conf rejects connection"), role + " → " + database + ": " + refused.getMessage());
            }
        }
    }

    @Test
    void otherRolesKeepCloudNativePgsDefaultRule() throws SQLException {
        // an operator's role (not a service's) still reaches any database through the default rule
        try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE operator LOGIN PASSWORD '" + PASSWORD + "'");
        }
        try (Connection c = connect("operator", "chat", PASSWORD)) {
            assertFalse(c.isClosed());
        }
    }

    private static Connection superuser(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + database, "postgres", "");
    }

    private static Connection connect(String role, String database, String password) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + database, role, password);
    }
}
