package io.commercechat.chat.webclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The web client's own unit tests (src/test/js, node:test): PKCE, JWS receipts, money, the SSE parser and what a
 * failed token refresh leads to. They need Node.js 20 or later (`node --test`, and `Intl.NumberFormat` formatting a
 * decimal string exactly, which 18 rounds through a double); without it this test is skipped with a message (the
 * browser journey in system-tests still runs the scripts in Chromium).
 */
class WebClientScriptsTest {

    @Test
    void theWebClientsUnitTestsPass() throws Exception {
        File node = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> new File(dir, "node")).filter(File::canExecute).findFirst().orElse(null);
        assumeTrue(node != null, "Node.js is not installed: the web client's unit tests (src/test/js) are skipped");
        int major = nodeMajorVersion(node);
        assumeTrue(major >= 20, "Node.js " + (major < 0 ? "of an unknown version" : major)
                + " is older than 20: the web client's unit tests (src/test/js) are skipped");
        Path output = Files.createTempFile("node-test", ".txt");
        List<String> command = new ArrayList<>(List.of(node.getPath(), "--test"));
        try (Stream<Path> files = Files.list(Path.of("src/test/js"))) {
            files.map(Path::toString).filter(f -> f.endsWith(".test.mjs")).sorted().forEach(command::add);
        }
        assertTrue(command.size() > 2, "no test scripts in src/test/js");
        Process run = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean ended = run.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            run.destroyForcibly();
        }
        String report = Files.readString(output, StandardCharsets.UTF_8);
        Files.deleteIfExists(output);
        assertEquals(0, ended ? run.exitValue() : -1, report);
    }

    /** The major version {@code node --version} prints (e.g. v20.20.0), or -1 when it prints none. */
    private static int nodeMajorVersion(File node) throws Exception {
        Process version = new ProcessBuilder(node.getPath(), "--version").start();
        String v = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!version.waitFor(30, TimeUnit.SECONDS) || version.exitValue() != 0) {
            return -1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("v(\\d+)\\.").matcher(v);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
