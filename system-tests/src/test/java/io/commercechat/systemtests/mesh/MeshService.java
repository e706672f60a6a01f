package io.commercechat.systemtests.mesh;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service of the mesh as {@code ./mesh up} runs it: {@code java <opts> -jar <module>/target/quarkus-app/quarkus-run.jar}
 * in its prod profile, configured by environment variables (as the mesh passes them), on a port chosen before any
 * service starts (the services name each other's addresses, and sandbox and chat-service point at each other).
 *
 * <p>testkit's {@code ServiceProcess} picks its port at start and passes only {@code -D} properties, which cannot
 * express that cycle; hence this small launcher.
 */
public final class MeshService implements AutoCloseable {

    /** The mesh's default service JVM options ({@code MESH_JAVA_OPTS}). */
    static final List<String> JAVA_OPTS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String module;
    private final int port;
    private final Map<String, String> env;
    private final List<String> properties;
    private final Path log;
    private Process process;

    MeshService(String module, int port, Map<String, String> env, List<String> properties, Path logDir) {
        this.module = module;
        this.port = port;
        this.env = Map.copyOf(env);
        this.properties = List.copyOf(properties);
        this.log = logDir.resolve(module + ".log");
    }

    /** Starts the process (does not wait: see {@link #awaitReady}). */
    void launch() {
        Path jar = Mesh.repoRoot().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package " + module
                    + " first (./mvnw -B package -pl " + module + " -DskipTests; the reactor builds it before system-tests)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JAVA_OPTS);
        command.add("-Dquarkus.http.host=127.0.0.1");
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dquarkus.log.console.json.enabled=false");
        command.addAll(properties);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // the test JVM's own environment must not reconfigure a service (QUARKUS_*, a developer's OIDC_* ...)
        pb.environment().keySet().removeIf(k -> k.startsWith("QUARKUS_") || k.startsWith("OIDC_") || k.startsWith("CHAT_")
                || k.startsWith("CONSENT_") || k.startsWith("ACCOUNT_LINK_") || k.startsWith("SANDBOX_")
                || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
        pb.environment().putAll(env);
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "=== " + module + " started by system-tests at " + Instant.now() + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + module, e);
        }
    }

    /** Waits until {@code /q/health/ready} answers 200 (the mesh's readiness check). */
    void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        HttpRequest ready = HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready")).timeout(Duration.ofSeconds(3)).build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(module + " exited with " + process.exitValue() + " while starting; see " + log);
            }
            try {
                if (HTTP.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + module, e);
            }
            sleep(250);
        }
        throw new IllegalStateException(module + " was not ready within " + timeout.toSeconds() + " s; see " + log);
    }

    /** {@code kill -9}: SIGKILL, nothing gets a chance to clean up; returns once the process is gone. */
    public void kill9() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the service again on the same port with the same configuration and waits until it is ready. */
    public void start(Duration timeout) {
        launch();
        awaitReady(timeout);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public String module() {
        return module;
    }

    public Path log() {
        return log;
    }

    /** SIGTERM (graceful, as {@code ./mesh down}), SIGKILL after 20 s. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
