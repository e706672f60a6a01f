package io.commercechat.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
