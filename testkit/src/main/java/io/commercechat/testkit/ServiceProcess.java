package io.commercechat.testkit;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Runs another module's packaged Quarkus application ({@code target/quarkus-app/quarkus-run.jar})
 * as a real separate process on 127.0.0.1, for tests that need a real peer over the network
 * (e.g. account-link-service's tests against the real consent-service and sandbox bank).
 * Configuration is passed as system properties; output goes to a log file under target/.
 */
public final class ServiceProcess implements AutoCloseable {

    private final String name;
    private final int port;
    private final Path log;
    private final List<String> command;
    private Process process;

    private ServiceProcess(String name, int port, Path log, List<String> command) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.command = command;
    }

    /**
     * Starts {@code <repo>/<module>/target/quarkus-app/quarkus-run.jar} on a free port and waits
     * until {@code /q/health/ready} answers 200.
     */
    public static ServiceProcess start(String module, Map<String, String> config) {
        return start(module, config, List.of("-Xmx256m"));
    }

    /** The same, with these JVM options instead of the tests' small heap (the benchmark runs production's). */
    public static ServiceProcess start(String module, Map<String, String> config, List<String> jvmOptions) {
        Path jar = repoRoot().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build " + module + " first (the reactor builds it before its dependents)");
        }
        requireMigrationsOfTheSource(repoRoot().resolve(module));
        int port = freePort();
        Map<String, String> all = new TreeMap<>(config);
        all.put("quarkus.http.port", Integer.toString(port));
        all.put("quarkus.http.host", "127.0.0.1");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        all.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        Path log = Path.of("target", "service-logs", module + "-" + port + ".log").toAbsolutePath();
        ServiceProcess p = new ServiceProcess(module, port, log, cmd);
        p.launch();
        return p;
    }

    /**
     * Refuses a package whose Flyway migrations are not exactly its module's source ones: a build without
     * {@code clean} keeps a migration deleted from src/main/resources in target/classes and packages it, and a
     * benchmark once measured such a jar (benchmark/RESULTS.md, second session of 2026-12-06).
     */
    static void requireMigrationsOfTheSource(Path moduleDir) {
        Path source = moduleDir.resolve("src/main/resources/db/migration");
        Path app = moduleDir.resolve("target/quarkus-app/app");
        if (!Files.isDirectory(source) || !Files.isDirectory(app)) {
            return;
        }
        try (var sources = Files.list(source); var jars = Files.list(app)) {
            Set<String> expected = new TreeSet<>();
            sources.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".sql")).forEach(expected::add);
            Set<String> packaged = new TreeSet<>();
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                try (var zip = new ZipFile(jar.toFile())) {
                    zip.stream().map(ZipEntry::getName)
                            .filter(n -> n.startsWith("db/migration/") && n.endsWith(".sql"))
                            .forEach(n -> packaged.add(n.substring("db/migration/".length())));
                }
            }
            if (!packaged.equals(expected)) {
                Set<String> extra = new TreeSet<>(packaged);
                extra.removeAll(expected);
                Set<String> missing = new TreeSet<>(expected);
                missing.removeAll(packaged);
                throw new IllegalStateException(moduleDir.getFileName() + "'s package is not built from its source: migrations only"
                        + " in the package " + extra + ", only in the source " + missing + "; rebuild it: ./mvnw clean install -DskipTests -pl "
                        + moduleDir.getFileName());
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not read the migrations of " + moduleDir, e);
        }
    }

    private void launch() {
        try {
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + name, e);
        }
        awaitReady(Duration.ofSeconds(90));
    }

    /** Kills the process (SIGKILL: nothing gets a chance to clean up) and waits for it to end. */
    public void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the same application again on the same port with the same configuration. */
    public void restart() {
        kill();
        launch();
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public Path log() {
        return log;
    }

    private void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(baseUrl() + "/q/health/ready").toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name);
            }
        }
        kill();
        throw new IllegalStateException(name + " was not ready within " + timeout + "; see " + log);
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(10), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The repository root: the nearest parent directory holding the {@code mvnw} wrapper. */
    public static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("not inside the repository");
        }
        return dir;
    }
}
