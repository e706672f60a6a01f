package io.commercechat.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshPostgresTest {

    @Test
    void dataOfAnotherMajorVersionIsRefusedAtOnceAndLeftAsItIs(@TempDir Path data) throws Exception {
        Files.writeString(data.resolve("PG_VERSION"), "14\n");
        Files.writeString(data.resolve("postgresql.conf"), "# a developer's old cluster\n");
        PrintStream err = System.err;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        int exit;
        System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
        try {
            exit = new MeshPostgres(0, data, List.of(), null).run();
        } finally {
            System.setErr(err);
        }

        assertEquals(1, exit);
        String message = said.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("was made by PostgreSQL 14; the mesh runs 17"), message);
        assertTrue(message.contains("rm -rf " + data.toAbsolutePath().normalize()), message);
        try (Stream<Path> files = Files.list(data)) {
            assertEquals(List.of("PG_VERSION", "postgresql.conf"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "nothing started, nothing written");
        }
    }

    /**
     * ./mesh up keeps a developer's conversations, links and consents: a second start opens the same cluster (no
     * initdb over it, no database made again), with commits on disk (fsync and synchronous_commit on).
     */
    @Test
    void whatWasCommittedIsThereAfterTheNextStart(@TempDir Path data) throws Exception {
        int port = freePort();
        MeshPostgres mesh = new MeshPostgres(port, data, List.of(MeshPostgres.Database.parse("chat:chat:chat")), null);
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/chat";
        try (EmbeddedPostgres first = mesh.open(); Connection c = DriverManager.getConnection(url, "chat", "chat");
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE kept (note text)");
            s.execute("INSERT INTO kept VALUES ('written before the stop')");
            assertEquals("on", value(s, "SHOW fsync"));
            assertEquals("on", value(s, "SHOW synchronous_commit"));
        }
        try (EmbeddedPostgres second = mesh.open(); Connection c = DriverManager.getConnection(url, "chat", "chat");
                Statement s = c.createStatement()) {
            assertEquals("written before the stop", value(s, "SELECT note FROM kept"));
            assertEquals("chat", value(s, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'chat'"));
        }
    }

    private static String value(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            assertTrue(r.next(), sql);
            return r.getString(1);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return s.getLocalPort();
        }
    }
}
