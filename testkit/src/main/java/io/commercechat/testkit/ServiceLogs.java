package io.commercechat.testkit;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** What a service under test wrote to its log (target/service-logs) during this test run, rotated files included. */
public final class ServiceLogs {

    private ServiceLogs() {}

    /**
     * {@code <service>-test.log} and its rotated copies, those written since this JVM started (older runs' rotated files
     * are left out): what a "never logged" check reads.
     */
    public static String thisRun(String service) throws IOException {
        long thisRun = ManagementFactory.getRuntimeMXBean().getStartTime();
        StringBuilder log = new StringBuilder();
        try (var files = Files.list(Path.of("target/service-logs"))) {
            // the current file first: one rotated meanwhile moves what was read already, not what is still to read
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(service + "-test.log")).sorted().toList()) {
                try {
                    if (Files.getLastModifiedTime(f).toMillis() >= thisRun) {
                        log.append(Files.readString(f, StandardCharsets.UTF_8));
                    }
                } catch (NoSuchFileException rotatedAway) {
                    // the oldest, dropped by a rotation since the listing
                }
            }
        }
        return log.toString();
    }
}
