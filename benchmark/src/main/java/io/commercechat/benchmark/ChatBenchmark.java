package io.commercechat.benchmark;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat-service benchmark of issue 4 §7, in one run against one PostgreSQL:
 * <ol>
 * <li>baseline: N connections doing plain single-row INSERT + commit (autocommit) for D seconds;</li>
 * <li>database ceiling: N connections calling send_message(), the one statement chat-service runs
 * per send, directly: what the database can take, however many chat-service replicas send;</li>
 * <li>sends: N concurrent people, each in their own conversation, POSTing messages to a real
 * chat-service process (the packaged jar) as fast as answers come back;</li>
 * <li>delivery: every sender also holds an SSE stream open; sends are paced (open loop) at half of
 * the measured send rate and the time from the send's request start, and from its 201, to the event
 * on the stream is recorded.</li>
 * </ol>
 * Targets: send rate ≥ 50 % of the baseline rate; delivery p99 &lt; 25 ms. Results go to stdout and
 * {@code benchmark/target/benchmark-results.txt}. Tuning: -Dbench.concurrency, -Dbench.seconds,
 * -Dbench.warmup-seconds, -Dbench.synchronous-commit (on, as a bank runs PostgreSQL; off to compare).
 */
public final class ChatBenchmark {

    private static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 30);
    /** wrk drives the closed-loop sends when it is installed (apt-get install wrk), unless -Dbench.client=java. */
    private static final String WRK = "java".equals(System.getProperty("bench.client")) ? null : onPath("wrk");
    private static final String BODY = "Hello, could you tell me when my parcel arrives? order 1234";
    private static final Pattern MARK = Pattern.compile("#bench-(\\d+)#");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newFixedThreadPool(8)).build();
    private final TestIssuer issuer = TestIssuer.get();
    private final List<String> report = new ArrayList<>();

    private static String onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    public static void main(String[] args) throws Exception {
        try {
            new ChatBenchmark().run();
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0); // the HTTP client's threads would keep the JVM alive
    }

    private void run() throws Exception {
        PostgresResource.Server pg = PostgresResource.server();
        String syncCommit = "off".equals(System.getProperty("bench.synchronous-commit")) ? "off" : "on";
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String chatDb = "bench_chat_" + suffix;
        String baselineDb = "bench_baseline_" + suffix;
        PostgresResource.createDatabase(pg, chatDb);
        PostgresResource.createDatabase(pg, baselineDb);
        // the embedded server defaults to synchronous_commit=off; a bank runs with it on, and both sides
        // of the comparison get the same setting
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password())) {
            for (String db : List.of(chatDb, baselineDb)) {
                c.createStatement().execute("ALTER DATABASE " + db + " SET synchronous_commit = " + syncCommit);
            }
        }

        say("Commerce Chat benchmark  %s  concurrency=%d  duration=%ds (+%ds warm-up)  cores=%d",
                Instant.now(), CONCURRENCY, SECONDS, WARMUP_SECONDS, Runtime.getRuntime().availableProcessors());
        String server = System.getenv("COMMERCECHAT_TEST_PG_URL") == null ? "embedded (fsync=off)"
                : "COMMERCECHAT_TEST_PG_URL " + pg.host() + ":" + pg.port();
        say("PostgreSQL: %s, same server for both measurements, synchronous_commit=%s; chat-service: packaged jar,"
                + " one process", server, syncCommit);

        double baseline = baseline(pg, baselineDb);

        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(chatDb));
        config.put("quarkus.datasource.reactive.url", pg.reactiveUrl(chatDb));
        config.put("quarkus.datasource.username", pg.user());
        config.put("quarkus.datasource.password", pg.password());
        config.put("chat.person-ref-key", "benchmark-key");
        config.put("quarkus.log.console.json.enabled", "false");
        config.put("quarkus.log.level", "WARN");
        // messaging only: the bank-data peers are not started (nothing in the measured path calls them)
        int nowhere = ServiceProcess.freePort();
        config.put("quarkus.grpc.clients.account-link.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.account-link.port", Integer.toString(nowhere));
        config.put("quarkus.grpc.clients.consent.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.consent.port", Integer.toString(nowhere));
        issuer.registerServiceClient("chat-service", "benchmark-secret");
        config.put("quarkus.oidc-client.auth-server-url", issuer.baseUrl());
        config.put("quarkus.oidc-client.credentials.secret", "benchmark-secret");
        config.put("quarkus.oidc-client.token-path", "/token");
        // -Dbench.chat.<property>=<value> passes extra configuration to chat-service (for experiments)
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.chat."))
                .forEach(k -> config.put(k.substring("bench.chat.".length()), System.getProperty(k)));
        try (ServiceProcess chat = ServiceProcess.start("chat-service", config)) {
            say("chat-service log: %s", chat.log());
            double ceiling = databaseCeiling(pg, chatDb);
            List<Sender> senders = new ArrayList<>();
            for (int i = 0; i < CONCURRENCY; i++) {
                senders.add(new Sender(chat.baseUrl(), "bench-person-" + suffix + "-" + i));
            }
            double sendRate = sends(senders);
            delivery(senders, sendRate / 2);
            say("");
            say("send rate / baseline rate = %.0f %% (target ≥ 50 %%)", 100 * sendRate / baseline);
            say("database ceiling for sends / baseline rate = %.0f %% (what chat-service replicas together can reach)",
                    100 * ceiling / baseline);
        }
        Path out = ServiceProcess.repoRoot().resolve("benchmark/target/benchmark-results.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, report);
        say("written to %s", out.toAbsolutePath());
    }

    // ---- 1. plain INSERT + commit ----------------------------------------------------------------------------

    private double baseline(PostgresResource.Server pg, String db) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password())) {
            // the same shape as a chat message row: ids, a sequence number, a text body, a timestamp
            c.createStatement().execute("CREATE TABLE bench_messages (id uuid PRIMARY KEY, conversation_id uuid NOT NULL,"
                    + " seq bigint NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
        }
        // one conversation per connection, its seq counting up: the same shape as a chat message row
        List<UUID> conversations = new ArrayList<>();
        for (int i = 0; i < CONCURRENCY; i++) {
            conversations.add(UUID.randomUUID());
        }
        double rate = jdbcLoad(pg, db, "INSERT INTO bench_messages (id, conversation_id, seq, body) VALUES (?, ?, ?, ?)",
                (ps, connection, n) -> {
                    ps.setObject(1, UUID.randomUUID());
                    ps.setObject(2, conversations.get(connection));
                    ps.setLong(3, n);
                    ps.setString(4, BODY);
                    ps.executeUpdate(); // autocommit: one row, one commit
                });
        say("");
        say("1. baseline  single-row INSERT + commit, %d JDBC connections: %,.0f rows/s", CONCURRENCY, rate);
        return rate;
    }

    // ---- 1b. the database's part of a send, without chat-service ----------------------------------------------

    /**
     * N connections calling send_message() (what chat-service runs once per send) for D seconds, each
     * in its own conversation: the rate the database can take sends at, whatever the number of
     * chat-service replicas in front of it.
     */
    private double databaseCeiling(PostgresResource.Server pg, String db) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        List<UUID> conversations = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password());
                PreparedStatement ps = c.prepareStatement("INSERT INTO conversations (id, person_sub, business_id, person_ref,"
                        + " person_display_name, activity_seq, created_at)"
                        + " VALUES (?, ?, 'demo-shop', ?, 'Bench', nextval('conversation_activity_seq'), now())")) {
            for (int i = 0; i < CONCURRENCY; i++) {
                UUID id = UUID.randomUUID();
                ps.setObject(1, id);
                ps.setString(2, "bench-db-" + suffix + "-" + i);
                ps.setString(3, "ref-" + suffix + "-" + i);
                ps.executeUpdate();
                conversations.add(id);
            }
        }
        String content = "{\"text\":{\"body\":\"" + BODY + "\"}}";
        double rate = jdbcLoad(pg, db, "SELECT outcome FROM send_message(?, ?, NULL, 'PERSON', ?, ?, 'TEXT', ?, 'EVERYONE',"
                + " NULL, NULL, NULL, false, interval '24 hours', interval '7 days')", (ps, connection, n) -> {
                    ps.setObject(1, conversations.get(connection));
                    ps.setString(2, "bench-db-" + suffix + "-" + connection);
                    ps.setObject(3, UUID.randomUUID());
                    ps.setString(4, "db-" + n);
                    ps.setString(5, content);
                    try (var rs = ps.executeQuery()) { // autocommit: one send, one commit
                        rs.next();
                        if (!"sent".equals(rs.getString(1))) {
                            throw new IllegalStateException("send_message answered " + rs.getString(1));
                        }
                    }
                });
        say("1b. database send_message() directly (chat-service's one statement per send), %d JDBC connections: %,.0f sends/s",
                CONCURRENCY, rate);
        return rate;
    }

    /** One unit of work on a connection's statement; {@code n} counts from 1 per connection. */
    private interface JdbcStep {
        void run(PreparedStatement ps, int connection, long n) throws Exception;
    }

    /** N connections, each repeating {@code step} on its own prepared {@code sql}; the measured rate per second. */
    private static double jdbcLoad(PostgresResource.Server pg, String db, String sql, JdbcStep step) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong done = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
        CountDownLatch finished = new CountDownLatch(CONCURRENCY);
        for (int t = 0; t < CONCURRENCY; t++) {
            int connection = t;
            pool.execute(() -> {
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password());
                        PreparedStatement ps = c.prepareStatement(sql)) {
                    long n = 0;
                    while (!stop.get()) {
                        step.run(ps, connection, ++n);
                        if (measuring.get()) {
                            done.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    finished.countDown();
                }
            });
        }
        double rate = measure(measuring, done);
        stop.set(true);
        finished.await(30, TimeUnit.SECONDS);
        pool.shutdown();
        return rate;
    }

    // ---- 2. message sends through chat-service -----------------------------------------------------------------

    private double sends(List<Sender> senders) throws Exception {
        if (WRK != null) {
            return sendsWithWrk(senders);
        }
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<Long> latencies = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
        CountDownLatch finished = new CountDownLatch(CONCURRENCY);
        for (Sender s : senders) {
            pool.execute(() -> {
                List<Long> mine = new ArrayList<>();
                try {
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        boolean ok = s.send(BODY) == 201;
                        if (measuring.get()) {
                            if (ok) {
                                done.incrementAndGet();
                                mine.add(System.nanoTime() - start);
                            } else {
                                failed.incrementAndGet();
                            }
                        }
                    }
                } finally {
                    synchronized (latencies) {
                        latencies.addAll(mine);
                    }
                    finished.countDown();
                }
            });
        }
        double rate = measure(measuring, done);
        stop.set(true);
        finished.await(30, TimeUnit.SECONDS);
        pool.shutdown();
        say("2. sends     POST /v1/conversations/{id}/messages, %d concurrent people: %,.0f messages/s"
                + " (failed: %d); request latency %s", CONCURRENCY, rate, failed.get(), percentiles(latencies));
        return rate;
    }

    /**
     * The same closed loop driven by wrk (a C load generator): the Java client costs about as much CPU
     * per request as chat-service itself, and on a shared two-core machine that CPU is taken from the
     * service being measured. Each request goes to the next sender's conversation with its own token.
     */
    private double sendsWithWrk(List<Sender> senders) throws Exception {
        StringBuilder lua = new StringBuilder("local senders = {\n");
        for (Sender s : senders) {
            lua.append(String.format("  {person=\"%s\", token=\"%s\", conversation=\"%s\"},%n", s.person, s.token, s.conversation));
        }
        lua.append("""
                }
                local threads = 0
                function setup(thread) thread:set("tid", threads); threads = threads + 1 end
                function init(args) run = args[1]; n = 0 end
                function request()
                  n = n + 1
                  local s = senders[((n * 2 + tid) % #senders) + 1]
                  local body = '{"clientMessageId":"' .. run .. '-' .. tid .. '-' .. n .. '","text":"BODY"}'
                  return wrk.format("POST", "/v1/conversations/" .. s.conversation .. "/messages",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. s.token}, body)
                end
                """.replace("BODY", BODY)); // not formatted(): Lua's % operator
        Path script = Files.createTempFile("bench-sends-", ".lua");
        Files.writeString(script, lua);
        try {
            wrk(senders.get(0).baseUrl, script, WARMUP_SECONDS, "warm");
            String out = wrk(senders.get(0).baseUrl, script, SECONDS, "measure");
            long non2xx = out.contains("Non-2xx") ? Long.parseLong(find(out, "Non-2xx or 3xx responses:\\s+(\\d+)")) : 0;
            // only answered sends count (wrk's own Requests/sec would include refusals)
            double rate = (Long.parseLong(find(out, "(\\d+) requests in")) - non2xx) / (double) SECONDS;
            String failed = non2xx + (out.contains("Socket errors") ? "; " + find(out, "Socket errors: ([^\\n]+)") : "");
            say("2. sends     POST /v1/conversations/{id}/messages, %d concurrent people (wrk): %,.0f messages/s"
                    + " (failed: %s); request latency p50 %s, p90 %s, p99 %s", CONCURRENCY, rate, failed,
                    find(out, "(?m)^\\s*50%\\s+(\\S+)"), find(out, "(?m)^\\s*90%\\s+(\\S+)"), find(out, "(?m)^\\s*99%\\s+(\\S+)"));
            return rate;
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static String wrk(String baseUrl, Path script, int seconds, String run) throws Exception {
        Process p = new ProcessBuilder(WRK, "-t2", "-c" + CONCURRENCY, "-d" + seconds + "s", "--latency", "--timeout", "30s",
                "-s", script.toString(), baseUrl, "--", run).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        return out;
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no " + regex + " in: " + text);
        }
        return m.group(1);
    }

    // ---- 3. delivery latency to connected SSE streams ----------------------------------------------------------

    private void delivery(List<Sender> senders, double rate) throws Exception {
        Map<Long, long[]> inFlight = new ConcurrentHashMap<>(); // mark -> {request start, 201 received}
        List<Long> fromStart = new ArrayList<>();
        List<Long> fromAck = new ArrayList<>();
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicLong marks = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        List<InputStream> streams = new ArrayList<>();
        CountDownLatch connected = new CountDownLatch(senders.size());
        for (Sender s : senders) {
            InputStream body = s.openStream();
            streams.add(body);
            Thread reader = new Thread(() -> readStream(body, connected, inFlight, measuring, fromStart, fromAck), "sse-" + s.person);
            reader.setDaemon(true);
            reader.start();
            readers.add(reader);
        }
        if (!connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not every event stream connected");
        }
        // open loop: each sender sends at rate/N on its own schedule, whatever the answers do
        long periodNanos = (long) (1e9 * senders.size() / rate);
        ScheduledExecutorService ticks = Executors.newScheduledThreadPool(2);
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY * 2);
        for (int i = 0; i < senders.size(); i++) {
            Sender s = senders.get(i);
            ticks.scheduleAtFixedRate(() -> pool.execute(() -> {
                long mark = marks.incrementAndGet();
                long[] times = {System.nanoTime(), 0};
                inFlight.put(mark, times);
                if (s.send(BODY + " #bench-" + mark + "#") == 201) {
                    times[1] = System.nanoTime();
                }
            }), periodNanos * i / senders.size(), periodNanos, TimeUnit.NANOSECONDS);
        }
        TimeUnit.SECONDS.sleep(WARMUP_SECONDS);
        measuring.set(true);
        TimeUnit.SECONDS.sleep(SECONDS);
        measuring.set(false);
        ticks.shutdownNow();
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        TimeUnit.SECONDS.sleep(1);
        for (InputStream in : streams) {
            try {
                in.close();
            } catch (Exception ignored) {
                // closing the streams ends the readers
            }
        }
        say("3. delivery  paced at %,.0f messages/s (half the send rate) to %d connected SSE streams:", rate, senders.size());
        synchronized (fromStart) {
            say("             request start → event on the stream: %s", percentiles(fromStart));
            say("             201 received  → event on the stream: %s (negative = event before the answer)",
                    percentiles(fromAck));
            say("             delivered while measuring: %,d; still undelivered at the end: %,d", fromStart.size(),
                    inFlight.values().stream().filter(t -> t[1] != 0).count());
        }
    }

    private void readStream(InputStream body, CountDownLatch connected, Map<Long, long[]> inFlight, AtomicBoolean measuring,
            List<Long> fromStart, List<Long> fromAck) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            boolean first = true;
            for (String line; (line = in.readLine()) != null;) {
                if (first) {
                    connected.countDown();
                    first = false;
                }
                if (!line.startsWith("data:")) {
                    continue;
                }
                long now = System.nanoTime();
                Matcher m = MARK.matcher(line);
                if (m.find()) {
                    long[] times = inFlight.remove(Long.parseLong(m.group(1)));
                    if (times != null && measuring.get()) {
                        synchronized (fromStart) {
                            fromStart.add(now - times[0]);
                            if (times[1] != 0) {
                                fromAck.add(now - times[1]);
                            }
                        }
                    }
                }
            }
        } catch (Exception closed) {
            // the benchmark closed the stream
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Warm-up, then counts what {@code done} gained while {@code measuring} was on; returns per second. */
    private static double measure(AtomicBoolean measuring, AtomicLong done) throws InterruptedException {
        TimeUnit.SECONDS.sleep(WARMUP_SECONDS);
        long start = System.nanoTime();
        measuring.set(true);
        TimeUnit.SECONDS.sleep(SECONDS);
        measuring.set(false);
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static String percentiles(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "no samples";
        }
        long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)",
                at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static double at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private void say(String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        System.out.println(line);
        report.add(line);
    }

    /** One person with a conversation with the demo shop. */
    private final class Sender {
        final String person;
        final String baseUrl;
        final String token;
        final String conversation;
        final AtomicLong next = new AtomicLong();

        Sender(String baseUrl, String person) throws Exception {
            this.person = person;
            this.baseUrl = baseUrl;
            this.token = issuer.person(person); // valid for the run (TestIssuer.LIFETIME)
            HttpResponse<String> r = http.send(json("/v1/conversations", "{\"businessId\":\"demo-shop\"}"),
                    HttpResponse.BodyHandlers.ofString());
            Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
            if (r.statusCode() >= 300 || !id.find()) {
                throw new IllegalStateException("could not open a conversation: " + r.statusCode() + " " + r.body());
            }
            this.conversation = id.group(1);
        }

        int send(String text) {
            String body = "{\"clientMessageId\":\"" + person + "-" + next.incrementAndGet() + "\",\"text\":\"" + text + "\"}";
            try {
                return http.send(json("/v1/conversations/" + conversation + "/messages", body),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                return -1;
            }
        }

        InputStream openStream() throws Exception {
            HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/events"))
                    .header("Accept", "text/event-stream").header("Authorization", "Bearer " + token).GET().build();
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("event stream refused: " + r.statusCode());
            }
            return r.body();
        }

        private HttpRequest json(String path, String body) {
            return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        }
    }
}
