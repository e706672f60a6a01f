package io.commercechat.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link KeycloakLauncher} treats a data dir kept across starts (without a Keycloak): Keycloak imports a realm
 * only into a database that lacks it, so a database made from another realm file is moved aside, never reused.
 */
class KeycloakDataDirTest {

    private static final byte[] REALM_V1 = "{\"realm\":\"commerce-chat\",\"v\":1}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REALM_V2 = "{\"realm\":\"commerce-chat\",\"v\":2}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path data;

    @Test
    void anEmptyDataDirIsStampedAndKept() throws Exception {
        assertNull(KeycloakLauncher.prepareDataDir(data, REALM_V1));
        assertTrue(Files.isDirectory(data.resolve("h2")));
        assertTrue(Files.isRegularFile(data.resolve("realm.sha256")));
    }

    @Test
    void aDatabaseFromTheSameRealmFileIsReused() throws Exception {
        KeycloakLauncher.prepareDataDir(data, REALM_V1);
        Files.writeString(data.resolve("h2").resolve("keycloakdb.mv.db"), "database of v1");

        assertNull(KeycloakLauncher.prepareDataDir(data, REALM_V1));
        assertEquals("database of v1", Files.readString(data.resolve("h2").resolve("keycloakdb.mv.db")));
    }

    @Test
    void aDatabaseFromAnotherRealmFileIsMovedAside() throws Exception {
        KeycloakLauncher.prepareDataDir(data, REALM_V1);
        Files.writeString(data.resolve("h2").resolve("keycloakdb.mv.db"), "database of v1");
        Files.createDirectories(data.resolve("transaction-logs"));

        Path replaced = KeycloakLauncher.prepareDataDir(data, REALM_V2);

        assertNotNull(replaced, "the old database is moved aside");
        assertEquals("database of v1", Files.readString(replaced.resolve("h2").resolve("keycloakdb.mv.db")));
        assertTrue(Files.isDirectory(replaced.resolve("transaction-logs")));
        assertFalse(Files.exists(data.resolve("h2").resolve("keycloakdb.mv.db")), "Keycloak starts on an empty database");
        assertFalse(Files.exists(data.resolve("transaction-logs")));
        // and the next start with the same file keeps what that start made
        Files.writeString(data.resolve("h2").resolve("keycloakdb.mv.db"), "database of v2");
        assertNull(KeycloakLauncher.prepareDataDir(data, REALM_V2));
    }

    @Test
    void aDatabaseFromBeforeTheStampIsMovedAside() throws Exception {
        Files.createDirectories(data.resolve("h2"));
        Files.writeString(data.resolve("h2").resolve("keycloakdb.mv.db"), "database of an unknown realm file");

        Path replaced = KeycloakLauncher.prepareDataDir(data, REALM_V1);

        assertNotNull(replaced);
        assertTrue(Files.exists(replaced.resolve("h2").resolve("keycloakdb.mv.db")));
        assertFalse(Files.exists(data.resolve("h2").resolve("keycloakdb.mv.db")));
    }
}
