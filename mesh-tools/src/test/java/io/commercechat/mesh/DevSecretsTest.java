package io.commercechat.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development secrets are made once and then kept: bank tokens encrypted with the first key stay readable. */
class DevSecretsTest {

    private static final List<String> FILES = List.of(DevSecrets.RECEIPT_KEY_FILE, DevSecrets.TOKEN_KEY_FILE,
            DevSecrets.PERSON_REF_KEY_FILE);

    @Test
    void aSecondRunKeepsEverySecretAsItWas(@TempDir Path dir) throws Exception {
        DevSecrets.createMissing(dir);
        byte[][] first = new byte[FILES.size()][];
        for (int i = 0; i < FILES.size(); i++) {
            Path file = dir.resolve(FILES.get(i));
            first[i] = Files.readAllBytes(file);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), FILES.get(i));
        }
        assertEquals(32, Base64.getDecoder().decode(new String(first[1]).strip()).length, "an AES-256 key");
        assertTrue(new String(first[0]).contains("\"kid\":\"" + DevSecrets.RECEIPT_KEY_ID + "\""));

        DevSecrets.createMissing(dir);
        for (int i = 0; i < FILES.size(); i++) {
            assertArrayEquals(first[i], Files.readAllBytes(dir.resolve(FILES.get(i))), FILES.get(i) + " was made again");
        }
    }
}
