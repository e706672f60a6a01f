package io.commercechat.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceProcessMigrationsTest {

    @TempDir
    Path module;

    private void source(String... names) throws IOException {
        Path dir = Files.createDirectories(module.resolve("src/main/resources/db/migration"));
        for (String n : names) {
            Files.writeString(dir.resolve(n), "select 1;");
        }
    }

    private void packaged(String... names) throws IOException {
        Path app = Files.createDirectories(module.resolve("target/quarkus-app/app"));
        try (var zip = new ZipOutputStream(Files.newOutputStream(app.resolve("service-1.0.jar")))) {
            for (String n : List.of(names)) {
                zip.putNextEntry(new ZipEntry("db/migration/" + n));
                zip.write("select 1;".getBytes());
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry("application.properties"));
            zip.closeEntry();
        }
    }

    @Test
    void aPackageBuiltFromItsSourceStarts() throws IOException {
        source("V1__a.sql", "V2__b.sql");
        packaged("V1__a.sql", "V2__b.sql");
        assertDoesNotThrow(() -> ServiceProcess.requireMigrationsOfTheSource(module));
    }

    @Test
    void aMigrationLeftInThePackageByAnUncleanBuildIsRefused() throws IOException {
        source("V1__a.sql", "V2__b.sql");
        packaged("V1__a.sql", "V2__b.sql", "V3__experiment.sql");
        var e = assertThrows(IllegalStateException.class, () -> ServiceProcess.requireMigrationsOfTheSource(module));
        assertTrue(e.getMessage().contains("[V3__experiment.sql]") && e.getMessage().contains("clean install"), e.getMessage());
    }

    @Test
    void aMigrationMissingFromThePackageIsRefused() throws IOException {
        source("V1__a.sql", "V2__b.sql");
        packaged("V1__a.sql");
        var e = assertThrows(IllegalStateException.class, () -> ServiceProcess.requireMigrationsOfTheSource(module));
        assertTrue(e.getMessage().contains("only in the source [V2__b.sql]"), e.getMessage());
    }
}
