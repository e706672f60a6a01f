package io.commercechat.benchmark;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.SandboxBusinesses;
import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat-service benchmark of issue 4 §7, in one run against one PostgreSQL and one chat-service process (the
 * packaged jar):
 * <ol>
 * <li>database, one send per transaction: N connections calling send_message_batch() with one send each,
 * directly: the sends' database work without chat-service's batching (chat-service writes the sends
 * that arrive together in one call, see MessageWriter);</li>
 * <li>database, the writer's ceiling: one connection writing batches of 64 sends one after another, as
 * chat-service's batch writer does with one batch in flight: no send rate through chat-service can be higher;</li>
 * <li>edge ceiling: the same N people making the cheapest authenticated request (refused before any
 * database work): what the HTTP edge alone takes on this machine, an upper bound for any send;</li>
 * <li>sends against baseline, in alternating slices of D seconds after a warm-up (a baseline slice after the first
 * gets 2 s for its connections to open): baseline (N connections doing plain single-row INSERT + commit,
 * autocommit), sends (N concurrent people, each in their own conversation, POSTing messages as fast as answers
 * come back), baseline, sends, …, baseline; each send slice is compared with the mean of the baselines on either
 * side, and the ratio is taken over all slices;</li>
 * <li>delivery: N other people hold SSE streams open; sends are paced (open loop) at half of the measured send
 * rate and the time from the send's due time to the event on the stream is recorded.</li>
 * </ol>
 * All HTTP load comes from wrk (apt-get install wrk): a Java client takes as much CPU per request as
 * the service measured, on the same cores.
 * Targets: send rate ≥ 50 % of the baseline rate; delivery p99 &lt; 25 ms. Results go to stdout and
 * {@code benchmark/target/benchmark-results.txt}. Tuning: -Dbench.concurrency, -Dbench.seconds,
 * -Dbench.warmup-seconds, -Dbench.slices, -Dbench.synchronous-commit (on, as a bank runs PostgreSQL; off to compare).
 */
public final class ChatBenchmark {

    private static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 30);
    /** wrk (a C load generator, apt-get install wrk) drives every HTTP load, so the load takes little CPU from the service. */
    private static final String WRK = onPath("wrk");
    /** pgbench (apt-get install postgresql-client) drives the baseline's inserts, for the same reason. */
    private static final String PGBENCH = onPath("pgbench");
    private static final int WRK_THREADS = 2;
    /**
     * -Dbench.delivery-trace=FILE: every event of the delivery phase, warm-up included, written to FILE as
     * {@code due,batch_began,received} (µs since the epoch, in arrival order), to see a stall's shape and time.
     */
    private static final String DELIVERY_TRACE = System.getProperty("bench.delivery-trace");
    /** -Dbench.delivery-rate=N: only the delivery phase, at N messages/s (to study latency at a chosen load). */
    private static final int DELIVERY_RATE = Integer.getInteger("bench.delivery-rate", 0);
    /** -Dbench.sends-only=true: only the sends phase (to study the send path's cost). */
    private static final boolean SENDS_ONLY = Boolean.getBoolean("bench.sends-only");
    /**
     * -Dbench.replicas=2: the delivery phase's streams are held by a second chat-service process on the same database,
     * so each event takes the way between replicas (the sending replica's NOTIFY, then the other's read of the inbox)
     * instead of the sending replica's own hand-over to its streams.
     */
    private static final int REPLICAS = Integer.getInteger("bench.replicas", 1);
    /** -Dbench.slices=N: how many send slices alternate with baseline slices (the ratio is taken over all). */
    private static final int SLICES = Integer.getInteger("bench.slices", 3);
    /** Before a baseline slice after the first: its N connections open and prepare their statement. */
    private static final int SETTLE_SECONDS = 2;
    /**
     * chat-service's JVM as production runs it: the JVM defaults of the image it ships on (Red Hat's
     * ubi9/openjdk-21-runtime) inside its pod's 768Mi memory limit, with what its Deployment changes
     * (G1, a heap of 60 % of the limit from the start: chat-service's application.properties).
     * -Dbench.chat-jvm="..." replaces them.
     */
    private static final List<String> CHAT_JVM = List.of(System.getProperty("bench.chat-jvm",
            "-XX:MaxRAM=768m -XX:InitialRAMPercentage=60 -XX:MaxRAMPercentage=60 -XX:+UseG1GC -XX:MinHeapFreeRatio=10"
                    + " -XX:MaxHeapFreeRatio=20 -XX:GCTimeRatio=4 -XX:AdaptiveSizePolicyWeight=90 -XX:+ExitOnOutOfMemoryError")
            .trim().split("\\s+"));
    /**
     * The senders' tokens outlast the run (they are never refreshed): more than every phase's warm-up and measurement
     * together. With TestIssuer's 10 minutes a run with -Dbench.seconds=60 was refused (401) in its last send slice.
     */
    private static final Duration TOKEN_LIFETIME = TestIssuer.LIFETIME
            .plusSeconds((2L * SLICES + 6) * (WARMUP_SECONDS + SECONDS + SETTLE_SECONDS + 15));
    private static final String BODY = "Hello, could you tell me when my parcel arrives? order 1234";
    /** The stored content of a text message with BODY (the protobuf JSON mapping, as chat-service stores it). */
    private static final String CONTENT = "{\"text\":{\"body\":\"" + BODY + "\"}}";
    /** Sends per batch in phase 1c: chat-service's MessageWriter.BATCH. */
    private static final int WRITER_BATCH = 64;
    /**
     * A message's creation time (µs, in its text), its key in the run (wrk thread and request number) and the time its
     * batch began in the database (sentAt, on the same line).
     */
    private static final Pattern MARK = Pattern.compile("#bench-(\\d+)-(\\d+-\\d+)#[^\\n]*?\"sentAt\":\"([^\"]+)\"");
    /** The created time (µs) in a stored message's content, and its key. */
    private static final String STORED_MARK = "#bench-([0-9]+)-";
    private static final String STORED_KEY = "#bench-[0-9]+-([0-9]+-[0-9]+)#";

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
        if (WRK == null) {
            throw new IllegalStateException("the benchmark drives its HTTP load with wrk: apt-get install wrk");
        }
        if (PGBENCH == null) {
            throw new IllegalStateException("the benchmark drives its baseline with pgbench: apt-get install postgresql-client");
        }
        if (REPLICAS < 1 || REPLICAS > 2) {
            throw new IllegalArgumentException("-Dbench.replicas must be 1 or 2, not " + REPLICAS);
        }
        if (SLICES < 1) {
            throw new IllegalArgumentException("-Dbench.slices must be at least 1, not " + SLICES);
        }
        // -Dbench.pg.<setting>=<value> starts the embedded server with that setting (for experiments)
        Map<String, String> pgSettings = new HashMap<>();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.pg."))
                .forEach(k -> pgSettings.put(k.substring("bench.pg.".length()).toLowerCase(Locale.ROOT), System.getProperty(k)));
        if (pgSettings.keySet().stream().anyMatch(List.of("fsync", "synchronous_commit", "full_page_writes")::contains)) {
            // the server is durable, as a bank's is; a run without waiting for the disk says so in its header instead
            throw new IllegalArgumentException("-Dbench.pg.fsync, synchronous_commit and full_page_writes are not taken:"
                    + " the server stays durable (-Dbench.synchronous-commit=off is the one switch, and the header shows it)");
        }
        PostgresResource.Server pg = PostgresResource.durableServer(pgSettings);
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

        String walReady = PostgresResource.external() ? "the external server's own" : walSegmentsToReuse(pg);

        say("Commerce Chat benchmark  %s  concurrency=%d  duration=%ds (+%ds warm-up)  cores=%d",
                Instant.now(), CONCURRENCY, SECONDS, WARMUP_SECONDS, Runtime.getRuntime().availableProcessors());
        String server = PostgresResource.external() ? "COMMERCECHAT_TEST_PG_URL" : "embedded";
        say("PostgreSQL: %s %s:%d (%s), same server for both measurements, synchronous_commit=%s; chat-service: packaged"
                + " jar, one process, JVM options %s", server, pg.host(), pg.port(), serverSettings(pg, pgSettings.keySet()), syncCommit,
                String.join(" ", CHAT_JVM));
        say("WAL segments ready for reuse before the first phase, as on a server that has been running: %s", walReady);
        say("Kernel writeback (a local server's commits wait behind it, benchmark/README.md): %s", writeback());
        say("Flushing 8 kB to this machine's disk (java.io.tmpdir, where the benchmark's own server keeps its data),"
                + " idle: %s", diskFlush());


        Map<String, String> config = new HashMap<>(issuer.verificationConfig());
        config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(chatDb));
        config.put("quarkus.datasource.reactive.url", pg.reactiveUrl(chatDb));
        config.put("quarkus.datasource.username", pg.user());
        config.put("quarkus.datasource.password", pg.password());
        config.put("chat.person-ref-key", "benchmark-person-ref-key-not-for-production");
        config.putAll(SandboxBusinesses.CONFIG);  // the demo shop is the one every benchmark conversation is with
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
        try (ServiceProcess chat = ServiceProcess.start("chat-service", config, CHAT_JVM);
                ServiceProcess streams = REPLICAS == 2 ? ServiceProcess.start("chat-service", config, CHAT_JVM) : chat) {
            if (REPLICAS == 2) {
                say("delivery streams on a second chat-service process on the same database (-Dbench.replicas=2): %s",
                        streams.baseUrl());
            }
            measure(pg, chat, streams.baseUrl(), baselineDb, chatDb, suffix);
        } finally {
            // a run leaves hundreds of megabytes behind; left in place, the next run's phases shared the
            // disk and the cores with their checkpoints and autovacuum
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password())) {
                for (String db : List.of(chatDb, baselineDb)) {
                    c.createStatement().execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
                }
            }
        }
        Path out = ServiceProcess.repoRoot().resolve("benchmark/target/benchmark-results.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, report);
        say("written to %s", out.toAbsolutePath());
    }

    /**
     * The phases against a running chat-service. The send rate and the baseline are measured in alternating slices
     * (baseline, sends, baseline, sends, …, baseline), each send slice against the mean of the baselines on either
     * side: on this shared machine the speed of both moved by a third within minutes, and slices minutes apart
     * compared one machine with another.
     */
    private void measure(PostgresResource.Server pg, ServiceProcess chat, String streamsUrl, String baselineDb, String chatDb,
            String suffix)
            throws Exception {
        say("chat-service log: %s", chat.log());
        if (DELIVERY_RATE > 0) {
            delivery(pg, chatDb, people(chat.baseUrl(), "bench-listener-" + suffix), streamsUrl, DELIVERY_RATE);
            return;
        }
        List<Sender> senders = people(chat.baseUrl(), "bench-person-" + suffix);
        if (SENDS_ONLY) {
            sends(senders, WARMUP_SECONDS, "2.");
            return;
        }
        double ceiling = databaseCeiling(pg, chatDb);
        double writer = writerCeiling(pg, chatDb);
        double edge = edgeCeiling(senders);
        sends(senders, WARMUP_SECONDS, "2.");  // the warm-up, and a first measurement not counted below
        double before = baseline(pg, baselineDb, "1.", WARMUP_SECONDS);
        double sent = 0;
        double base = 0;
        List<String> ratios = new ArrayList<>();
        for (int slice = 1; slice <= SLICES; slice++) {
            double rate = sends(senders, 0, "2." + slice);
            double after = baseline(pg, baselineDb, "1." + slice, SETTLE_SECONDS);
            double around = (before + after) / 2;
            ratios.add(String.format("%.0f %%", 100 * rate / around));
            sent += rate;
            base += around;
            before = after;
        }
        double sendRate = sent / SLICES;
        double baseline = base / SLICES;
        // Each phase pays for its own writes only. Left in place, the baseline's table (millions of rows by now)
        // was vacuumed and written out during the delivery phase, and so was the backlog of phase 2, which wrote
        // at twice the delivery phase's rate: the delivery phase's own writes are still vacuumed during it.
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(baselineDb), pg.user(), pg.password())) {
            c.createStatement().execute("DROP TABLE bench_messages");
        }
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(chatDb), pg.user(), pg.password())) {
            c.createStatement().execute("VACUUM (ANALYZE)");
            c.createStatement().execute("CHECKPOINT");
        }
        // other people, whose streams start at an empty inbox instead of replaying phase 2's messages
        delivery(pg, chatDb, people(chat.baseUrl(), "bench-listener-" + suffix), streamsUrl, sendRate / 2);
        say("");
        say("over %d alternating slices: sends %,.0f messages/s, baseline %,.0f rows/s (each slice against the mean of the"
                + " baselines on either side: %s)", SLICES, sendRate, baseline, String.join(", ", ratios));
        say("send rate / baseline rate = %.0f %% (target ≥ 50 %%)", 100 * sendRate / baseline);
        say("edge ceiling / baseline rate = %.0f %% (no send through this HTTP edge on this machine can be faster)",
                100 * edge / baseline);
        say("database, one send per transaction / baseline rate = %.0f %% (what sends reach without batching)",
                100 * ceiling / baseline);
        say("database, batches of %d from one connection / baseline rate = %.0f %% (what one batch in flight can reach)",
                WRITER_BATCH, 100 * writer / baseline);
    }

    private List<Sender> people(String baseUrl, String prefix) throws Exception {
        List<Sender> people = new ArrayList<>();
        for (int i = 0; i < CONCURRENCY; i++) {
            people.add(new Sender(baseUrl, prefix + "-" + i));
        }
        return people;
    }

    // ---- 1. plain INSERT + commit ----------------------------------------------------------------------------

    /**
     * {@code warmUpSeconds}: the full warm-up for the first measurement, a settling time for the slices after it.
     * The load comes from pgbench (C, libpq), as the sends' comes from wrk: a client in this JVM took CPU from the
     * database on the same cores during the baseline only (about as much a row as the insert itself), which lowered
     * the baseline and so flattered the ratio.
     */
    private double baseline(PostgresResource.Server pg, String db, String phase, int warmUpSeconds) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password())) {
            // the same shape as a chat message row: ids, a sequence number, a text body, a timestamp
            c.createStatement().execute("CREATE TABLE IF NOT EXISTS bench_messages (id uuid PRIMARY KEY, conversation_id uuid NOT NULL,"
                    + " seq bigint NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
        }
        // one conversation per connection (client), random ids: the values a client would send
        Path script = Files.createTempFile("bench-baseline-", ".sql");
        Files.writeString(script, """
                \\set seq random(1, 9000000000000000000)
                INSERT INTO bench_messages (id, conversation_id, seq, body) VALUES (gen_random_uuid(), CAST(md5(CAST(:client_id AS text)) AS uuid), :seq, :body);
                """);
        try {
            pgbench(pg, db, script, warmUpSeconds);
            double rate = pgbench(pg, db, script, SECONDS);
            say("%-3s baseline  single-row INSERT + commit, %d connections (pgbench): %,.0f rows/s", phase, CONCURRENCY, rate);
            return rate;
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** Runs {@code script} on N connections for {@code seconds}, each statement its own transaction; its rate. */
    private static double pgbench(PostgresResource.Server pg, String db, Path script, int seconds) throws Exception {
        ProcessBuilder command = new ProcessBuilder(PGBENCH, "--no-vacuum", "--protocol=prepared",
                "--client=" + CONCURRENCY, "--jobs=" + WRK_THREADS, "--time=" + seconds, "--file=" + script,
                "--define=body=" + BODY, "--host=" + pg.host(), "--port=" + pg.port(), "--username=" + pg.user(), db)
                .redirectErrorStream(true);
        command.environment().put("PGPASSWORD", pg.password());
        Process p = command.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || !out.contains("number of failed transactions: 0 ")) {
            throw new IllegalStateException("pgbench failed: " + out);
        }
        // pgbench's rate leaves out the time its connections took to open
        return Double.parseDouble(find(out, "tps = ([0-9.]+) \\(without initial connection time\\)"));
    }

    // ---- 1b. the database's part of a send, without chat-service ----------------------------------------------

    /**
     * N connections calling send_message_batch() with one send each (chat-service's statement when sends do
     * not arrive together) for D seconds, each in its own conversation: one transaction, one commit
     * and one notification per send.
     */
    private double databaseCeiling(PostgresResource.Server pg, String db) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        List<UUID> conversations = conversations(pg, db, "bench-db-" + suffix + "-", CONCURRENCY);
        double rate = jdbcLoad("1b.", pg, db, CONCURRENCY, WARMUP_SECONDS, "SELECT outcome FROM send_message_batch(ARRAY[?::uuid], ARRAY[?::varchar], '{NULL}',"
                + " '{PERSON}', ARRAY[?::uuid], ARRAY[?::varchar], '{TEXT}', ARRAY[?::text], '{EVERYONE}', '{NULL}', '{NULL}',"
                + " '{NULL}', '{false}', interval '24 hours', interval '7 days')", (ps, connection, n) -> {
                    ps.setObject(1, conversations.get(connection));
                    ps.setString(2, "bench-db-" + suffix + "-" + connection);
                    ps.setObject(3, UUID.randomUUID());
                    ps.setString(4, "db-" + n);
                    ps.setString(5, CONTENT);
                    try (var rs = ps.executeQuery()) { // autocommit: one send, one commit
                        rs.next();
                        if (!"sent".equals(rs.getString(1))) {
                            throw new IllegalStateException("send_message_batch answered " + rs.getString(1));
                        }
                    }
                    return 1;
                });
        say("1b. database  send_message_batch() with one send per call (no batching), %d JDBC connections: %,.0f sends/s",
                CONCURRENCY, rate);
        return rate;
    }

    /**
     * One batch as chat-service writes it with one batch in flight, for D seconds after a short settling time:
     * one connection, one call of send_message_batch() with 64 sends (MessageWriter.BATCH), each in a conversation
     * of its own, one transaction and one commit a batch, the next batch when the answer is in. The database's
     * work alone, without HTTP or chat-service's CPU beside it: with one batch in flight no send rate through
     * chat-service can be higher.
     */
    private double writerCeiling(PostgresResource.Server pg, String db) throws Exception {
        String prefix = "bench-writer-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        UUID[] conversations = conversations(pg, db, prefix, WRITER_BATCH).toArray(UUID[]::new);
        String[] people = new String[WRITER_BATCH];
        for (int i = 0; i < WRITER_BATCH; i++) {
            people[i] = prefix + i;
        }
        String[] none = new String[WRITER_BATCH];
        String[] person = new String[WRITER_BATCH];
        String[] text = new String[WRITER_BATCH];
        String[] content = new String[WRITER_BATCH];
        String[] everyone = new String[WRITER_BATCH];
        Boolean[] bankOnly = new Boolean[WRITER_BATCH];
        Arrays.fill(person, "PERSON");
        Arrays.fill(text, "TEXT");
        Arrays.fill(content, CONTENT);
        Arrays.fill(everyone, "EVERYONE");
        Arrays.fill(bankOnly, false);
        double rate = jdbcLoad("1c.", pg, db, 1, 5, "SELECT count(*) FILTER (WHERE outcome = 'sent') FROM send_message_batch(?, ?, ?, ?,"
                + " ?, ?, ?, ?, ?, ?, ?, ?, ?, interval '24 hours', interval '7 days')", (ps, connection, n) -> {
                    Connection c = ps.getConnection();
                    UUID[] ids = new UUID[WRITER_BATCH];
                    String[] clientIds = new String[WRITER_BATCH];
                    for (int i = 0; i < WRITER_BATCH; i++) {
                        ids[i] = UUID.randomUUID();
                        clientIds[i] = "writer-" + n + "-" + i;
                    }
                    ps.setArray(1, c.createArrayOf("uuid", conversations));
                    ps.setArray(2, c.createArrayOf("varchar", people));
                    ps.setArray(3, c.createArrayOf("varchar", none));
                    ps.setArray(4, c.createArrayOf("varchar", person));
                    ps.setArray(5, c.createArrayOf("uuid", ids));
                    ps.setArray(6, c.createArrayOf("varchar", clientIds));
                    ps.setArray(7, c.createArrayOf("varchar", text));
                    ps.setArray(8, c.createArrayOf("text", content));
                    ps.setArray(9, c.createArrayOf("varchar", everyone));
                    for (int column = 10; column <= 12; column++) {
                        ps.setArray(column, c.createArrayOf("varchar", none));
                    }
                    ps.setArray(13, c.createArrayOf("boolean", bankOnly));
                    try (var rs = ps.executeQuery()) { // autocommit: one batch, one commit
                        rs.next();
                        if (rs.getInt(1) != WRITER_BATCH) {
                            throw new IllegalStateException("send_message_batch sent " + rs.getInt(1) + " of " + WRITER_BATCH);
                        }
                    }
                    return WRITER_BATCH;
                });
        say("1c. database  send_message_batch() with %d sends per call, one connection, one batch after another: %,.0f sends/s",
                WRITER_BATCH, rate);
        return rate;
    }

    /** {@code n} conversations with the demo shop, of the people {@code prefix + i}. */
    private static List<UUID> conversations(PostgresResource.Server pg, String db, String prefix, int n) throws SQLException {
        List<UUID> conversations = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password());
                PreparedStatement ps = c.prepareStatement("INSERT INTO conversations (id, person_sub, business_id, person_ref,"
                        + " person_display_name, activity_seq, created_at)"
                        + " VALUES (?, ?, 'demo-shop', ?, 'Bench', nextval('conversation_activity_seq'), now())")) {
            for (int i = 0; i < n; i++) {
                UUID id = UUID.randomUUID();
                ps.setObject(1, id);
                ps.setString(2, prefix + i);
                ps.setString(3, "ref-" + prefix + i);
                ps.executeUpdate();
                conversations.add(id);
            }
        }
        return conversations;
    }

    /** One unit of work on a connection's statement, answering how many items it did; {@code n} counts from 1 per connection. */
    private interface JdbcStep {
        int run(PreparedStatement ps, int connection, long n) throws Exception;
    }

    /**
     * {@code connections} connections, each repeating {@code step} on its own prepared {@code sql}; the measured items
     * per second. A connection that fails fails the phase: the rate of the others would be a lower load's, reported as
     * this one's.
     */
    private static double jdbcLoad(String phase, PostgresResource.Server pg, String db, int connections, int warmUpSeconds,
            String sql, JdbcStep step) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong done = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        CountDownLatch finished = new CountDownLatch(connections);
        try {
            for (int t = 0; t < connections; t++) {
                int connection = t;
                pool.execute(() -> {
                    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password());
                            PreparedStatement ps = c.prepareStatement(sql)) {
                        long n = 0;
                        while (!stop.get()) {
                            int items = step.run(ps, connection, ++n);
                            if (measuring.get()) {
                                done.addAndGet(items);
                            }
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        finished.countDown();
                    }
                });
            }
            double rate = measure(measuring, done, warmUpSeconds);
            stop.set(true);
            if (!finished.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(phase + " " + finished.getCount() + " of " + connections
                        + " connections still busy 30 s after the phase ended: no rate is reported for it");
            }
            if (failure.get() != null) {
                throw new IllegalStateException(phase + " a connection failed (" + failure.get()
                        + "): the phase's rate would be that of the others alone", failure.get());
            }
            return rate;
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    // ---- 2. message sends through chat-service -----------------------------------------------------------------

    /**
     * The sends' closed loop: wrk (a C load generator) posts as fast as answers come back, on two threads,
     * and a person has one send in flight at a time, as a person typing does (OWN_SEND_REQUEST: a request
     * goes to a person whose last send has been answered). Before, each person had a wrk thread of their
     * own: with 128 threads on two cores wrk itself took 40 % of a core (49 µs a send, 18 µs on two
     * threads), CPU taken from the service being measured. A Java client costs about as much CPU per
     * request as chat-service itself.
     */
    private double sends(List<Sender> senders, int warmUpSeconds, String phase) throws Exception {
        String out = wrk(senders, OWN_SEND_REQUEST, 0, WRK_THREADS, warmUpSeconds);
        // the answered sends over the time wrk itself ran, as pgbench's rate is its transactions over its own time
        double rate = answered(out) / elapsedSeconds(out);
        say("%-3s sends     POST /v1/conversations/{id}/messages, %d concurrent people (wrk): %,.0f messages/s"
                + " (failed: %s); request latency %s", phase, CONCURRENCY, rate, failures(out), wrkLatency(out));
        return rate;
    }

    /**
     * What the HTTP edge alone takes on this machine: the same people and tokens, the cheapest request
     * that is still authenticated (token verified, roles checked, then refused with a 400 problem for
     * its malformed conversation id, before any database work). No send can be cheaper than this.
     */
    private double edgeCeiling(List<Sender> senders) throws Exception {
        String out = wrk(senders, """
                function request()
                  n = n + 1
                  local s = senders[((n * 2 + tid) % #senders) + 1]
                  return wrk.format("GET", "/v1/conversations/not-a-uuid/messages", {["Authorization"] = "Bearer " .. s.token})
                end
                function response(status) if status ~= 400 then error("BENCH-FAILED expected 400, got " .. status) end end
                """, 0);
        double rate = Long.parseLong(find(out, "(\\d+) requests in")) / elapsedSeconds(out);
        say("0. edge      the cheapest authenticated request (token verified, 400 before any database work), %d"
                + " connections (wrk): %,.0f requests/s; latency %s", CONCURRENCY, rate, wrkLatency(out));
        return rate;
    }

    /**
     * A send with a unique client message id; the text carries the time (µs) it was created at (stamp(): when it was
     * built, or in the paced phase when it was due) and its key (thread and request number).
     * PERSON stands for the Lua expression that picks whose send it is.
     */
    private static final String SEND_TEMPLATE = """
            function request()
              n = n + 1
              local s = PERSON
              local body = '{"clientMessageId":"' .. run .. '-' .. tid .. '-' .. n .. '","text":"BODY #bench-'
                .. string.format("%.0f", stamp()) .. '-' .. tid .. '-' .. n .. '#"}'
              return wrk.format("POST", "/v1/conversations/" .. s.conversation .. "/messages",
                {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. s.token}, body)
            end
            """.replace("BODY", BODY); // not formatted(): Lua's % operator

    /** Each request of a wrk thread for the next person of its share (paced phases: any person will do). */
    private static final String SEND_REQUEST = SEND_TEMPLATE.replace("PERSON", "senders[((n * 2 + tid) % #senders) + 1]");

    /**
     * Each request for a person of the thread's share who has no send in flight: a thread keeps its free
     * people in a list, a request takes one and the answer (it names the conversation) gives them back.
     * wrk calls response() before that connection's next request(), and a thread has as many people as
     * connections, so the list is empty only once: wrk calls request() one extra time in its first
     * thread to check the script, and that request is never sent, so its person is free.
     */
    private static final String OWN_SEND_REQUEST = """
            local free, person_of, never_sent
            function take_person()
              if free == nil then
                free, person_of = {}, {}
                for i = tid + 1, #senders, THREADS do
                  free[#free + 1] = senders[i]; person_of[senders[i].conversation] = senders[i]
                end
              end
              local s = table.remove(free)
              if tid == 0 and never_sent == nil then never_sent = s  -- wrk's check of the script
              elseif s == nil and never_sent then s, never_sent = never_sent, false; s.in_flight = false end
              if not s or s.in_flight then
                error("BENCH-FAILED no person without a send in flight (a connection lost an answer: wrk socket error?)")
              end
              s.in_flight = true
              return s
            end
            function response(status, headers, body)
              if status ~= 201 and status ~= 200 then error("BENCH-FAILED send answered " .. status) end
              local s = person_of[body:match('"conversationId":"([^"]+)"')]
              if s == nil then error("BENCH-FAILED an answer without the conversation") end
              s.in_flight = false
              free[#free + 1] = s
            end
            """.replace("THREADS", Integer.toString(WRK_THREADS)) + SEND_TEMPLATE.replace("PERSON", "take_person()");

    /**
     * Runs wrk with the senders' tokens and {@code body} (Lua: request(), optionally delay()/response())
     * for the warm-up, then for the measured seconds ({@code warmUpInRun}: 0 = a separate warm-up run;
     * otherwise one run of warm-up + measurement, for phases that measure on the stream side).
     */
    private String wrk(List<Sender> senders, String body, int warmUpInRun) throws Exception {
        return wrk(senders, body, warmUpInRun, WRK_THREADS, WARMUP_SECONDS);
    }

    private String wrk(List<Sender> senders, String body, int warmUpInRun, int threads, int warmUpSeconds) throws Exception {
        StringBuilder lua = new StringBuilder("""
                local ffi = require("ffi")
                ffi.cdef[[ typedef struct { long tv_sec; long tv_usec; } bench_timeval;
                           int gettimeofday(bench_timeval *tv, void *tz); ]]
                local tv = ffi.new("bench_timeval")
                function now_us() ffi.C.gettimeofday(tv, nil); return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec) end
                function stamp() return now_us() end
                local threads = 0
                bench_threads = {}
                function setup(thread)
                  thread:set("tid", threads); threads = threads + 1; bench_threads[#bench_threads + 1] = thread
                end
                function done(summary)
                  io.write(string.format("BENCH-ELAPSED-US %.0f\\n", summary.duration))
                  if schedule_report then schedule_report() end
                end
                function init(args) run = args[1]; n = 0 end
                senders = {
                """);
        for (Sender s : senders) {
            lua.append(String.format("  {token=\"%s\", conversation=\"%s\"},%n", s.token, s.conversation));
        }
        lua.append("}\n").append(body);
        Path script = Files.createTempFile("bench-", ".lua");
        Files.writeString(script, lua);
        try {
            if (warmUpInRun > 0) {
                return runWrk(senders.get(0).baseUrl, script, warmUpInRun + SECONDS, "run", threads);
            }
            if (warmUpSeconds > 0) {
                runWrk(senders.get(0).baseUrl, script, warmUpSeconds, "warm", threads);
            }
            return runWrk(senders.get(0).baseUrl, script, SECONDS, "measure", threads);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static String runWrk(String baseUrl, Path script, int seconds, String run, int threads) throws Exception {
        Process p = new ProcessBuilder(WRK, "-t" + threads, "-c" + CONCURRENCY, "-d" + seconds + "s", "--latency",
                "--timeout", "30s", "-s", script.toString(), baseUrl, "--", run + "-" + UUID.randomUUID())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || out.contains("BENCH-FAILED")) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        return out;
    }

    /**
     * How long wrk ran, as it counted its requests (done() prints it in µs): from before its connections opened until
     * its threads stopped, which is up to 100 ms after the duration asked for, with the answers of that time counted.
     */
    private static double elapsedSeconds(String wrkOut) {
        return Long.parseLong(find(wrkOut, "BENCH-ELAPSED-US (\\d+)")) / 1e6;
    }

    /** Requests answered 2xx (wrk's own Requests/sec would include refusals). */
    private static long answered(String wrkOut) {
        return Long.parseLong(find(wrkOut, "(\\d+) requests in")) - non2xx(wrkOut);
    }

    private static long non2xx(String wrkOut) {
        return wrkOut.contains("Non-2xx") ? Long.parseLong(find(wrkOut, "Non-2xx or 3xx responses:\\s+(\\d+)")) : 0;
    }

    private static String failures(String wrkOut) {
        return non2xx(wrkOut) + (wrkOut.contains("Socket errors") ? "; " + find(wrkOut, "Socket errors: ([^\\n]+)") : "");
    }

    private static String wrkLatency(String wrkOut) {
        return "p50 " + find(wrkOut, "(?m)^\\s*50%\\s+(\\S+)") + ", p90 " + find(wrkOut, "(?m)^\\s*90%\\s+(\\S+)")
                + ", p99 " + find(wrkOut, "(?m)^\\s*99%\\s+(\\S+)");
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no " + regex + " in: " + text);
        }
        return m.group(1);
    }

    // ---- 3. delivery latency to connected SSE streams ----------------------------------------------------------

    /**
     * Every sender holds its SSE stream; wrk sends on a fixed schedule at {@code rate} (open loop), and the time from
     * the message's due time to the event on the stream is recorded for the messages due in the measured seconds.
     * <p>
     * A message is stamped with the moment its slot in the schedule came (or when it was built, if earlier), not when
     * a connection got round to sending it: during a stall every connection waits for an answer, the messages due
     * meanwhile go out afterwards, and stamped when sent they would read as fast as any, hiding the stall (coordinated
     * omission). No slot is skipped however late. Every slot of wrk's schedule due in the measured seconds is accounted
     * for by its key (DELIVERY_SCHEDULE): a message sent for it must be committed and reach its stream, and a slot never
     * sent, a message never committed and a committed one that never arrived each count at an infinite latency, in the
     * headline and in its second's p99. The phase fails on an event delivered twice, a stream that broke, or a committed
     * message wrk did not send in those seconds.
     */
    private void delivery(PostgresResource.Server pg, String chatDb, List<Sender> senders, String streamsUrl, double rate)
            throws Exception {
        long phaseStart = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        long measureFrom = phaseStart + (WARMUP_SECONDS + 1) * 1_000_000L;
        long measureTo = measureFrom + SECONDS * 1_000_000L;
        // room for every event of the phase up front, with a margin: the reader allocates nothing that lives long while
        // it reads (its own collector's pauses and marking would be added to the latencies it measures)
        int expected = (int) Math.min(Integer.MAX_VALUE / 8, rate * (WARMUP_SECONDS + 1 + SECONDS + 15) * 1.25);
        StreamReader streams = new StreamReader(senders, streamsUrl, phaseStart, measureFrom, measureTo, expected);
        System.gc();  // what earlier phases left behind, collected now rather than by a marking cycle in this one
        Thread reader = new Thread(streams, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        if (!streams.connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not every event stream connected");
        }
        double periodMs = 1000.0 * WRK_THREADS / rate; // between two sends of one wrk thread
        long seconds = (measureTo - phaseStart) / 1_000_000L; // the warm-up's and the measured ones
        String out = wrk(senders, SEND_REQUEST + DELIVERY_SCHEDULE
                .replace("PERIOD", Double.toString(periodMs)).replace("PHASE_START", Long.toString(phaseStart))
                .replace("MEASURE_FROM", Long.toString(measureFrom)).replace("MEASURE_TO", Long.toString(measureTo))
                .replace("SECONDS", Long.toString(seconds)), WARMUP_SECONDS + 1);
        Schedule schedule = Schedule.of(out, measureFrom);
        // sends still in flight when wrk stopped may commit after it: counted again until every committed one arrived
        // (or 10 s have passed), and once more after the streams stopped
        Set<String> committed = committedBetween(pg, chatDb, senders, measureFrom, measureTo);
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (streams.measuredCount() < committed.size() && streams.failure == null && System.nanoTime() < waitUntil) {
            TimeUnit.MILLISECONDS.sleep(200);
            committed = committedBetween(pg, chatDb, senders, measureFrom, measureTo);
        }
        streams.stop();
        reader.join(5000);
        if (streams.failure != null) {
            throw new IllegalStateException("the stream reader failed", streams.failure);
        }
        committed = committedBetween(pg, chatDb, senders, measureFrom, measureTo);
        if (DELIVERY_TRACE != null) {
            streams.trace(Path.of(DELIVERY_TRACE));
        }
        List<long[]> measured = streams.measured();
        Set<String> delivered = streams.measuredKeys();
        Set<String> unknown = new HashSet<>(delivered);
        unknown.removeAll(committed);
        if (!unknown.isEmpty()) {
            throw new IllegalStateException(unknown.size() + " events of messages the database does not hold, e.g. " + unknown.iterator().next());
        }
        Set<String> unsent = new HashSet<>(committed);
        unsent.removeIf(schedule::sent);
        if (!unsent.isEmpty()) {
            throw new IllegalStateException(unsent.size() + " messages committed in the measured seconds that wrk did not"
                    + " send in them, e.g. " + unsent.iterator().next());
        }
        long missing = committed.size() - delivered.size();
        long neverCommitted = schedule.sent() - committed.size();
        long planned = schedule.sent() + schedule.neverSent();
        long[] latencies = Arrays.copyOf(measured.get(0), (int) planned);
        Arrays.fill(latencies, measured.get(0).length, latencies.length, Long.MAX_VALUE); // never delivered
        say("3. delivery  paced at %,.0f messages/s (half the send rate unless set) by wrk to %d connected SSE streams:", rate,
                senders.size());
        say("             message due → event on the stream: %s", percentiles(latencies));
        say("             of which due → its batch began in the database (sentAt): %s", percentiles(measured.get(1)));
        say("             and batch began → event on the stream: %s", percentiles(measured.get(2)));
        say("             p99 by the second the messages were due in, those never delivered counted as infinite (warm-up |"
                + " measured | after, where only what arrived counts; the phase began at %s): %s",
                Instant.EPOCH.plus(phaseStart, ChronoUnit.MICROS).truncatedTo(ChronoUnit.SECONDS),
                streams.secondsP99(schedule.dueBySecond()));
        say("             measured rate %,.0f messages/s; failed sends: %s; send latency over the whole run, warm-up"
                + " included (wrk's, from when each request was sent): %s", committed.size() / (double) SECONDS, failures(out),
                wrkLatency(out));
        say("             due in the measured seconds: %,d slots of wrk's schedule, %,d sent, %,d committed, %,d delivered;"
                + " %,d committed but never delivered, %,d sent but never committed, %,d never sent (all counted as infinite"
                + " above)", planned, schedule.sent(), committed.size(), delivered.size(), missing, neverCommitted,
                schedule.neverSent());
    }

    /**
     * The delivery phase's schedule in wrk. Each thread's slots are PERIOD ms apart from its first delay() (the slot's
     * time is computed from its number, not added up, so that a slot is the same wherever it is computed). wrk asks
     * delay() before each request of a connection and request() when that delay is over: the thread's slots queue up
     * in delay() in order, and request() takes the oldest. A message's stamp is its slot, or the time it was built if
     * earlier; a request without a slot (wrk sends again on a new connection after a socket error) is a message of its
     * own, stamped when built. done() reports, per thread, the request numbers (the keys' second part) stamped in the
     * measured seconds and the slots due in them that no request took (still queued, or due while every connection
     * waited for an answer), and per second of the phase until the measured seconds end, every message and slot due in
     * it: so every slot due is found again, sent or never sent.
     */
    private static final String DELIVERY_SCHEDULE = """
            period, origin, first, last = PERIOD, nil, 1, 0
            phase_start, measure_from, measure_to = PHASE_START, MEASURE_FROM, MEASURE_TO
            sent, run_from, run_to, ranges = 0, nil, nil, ""
            function slot_due(k) return origin + k * period end
            function delay()
              local now = now_us() / 1000
              origin = origin or now
              last = last + 1
              return math.max(0, math.ceil(slot_due(last) - now))
            end
            function micros(ms) return math.floor(ms * 1000 + 0.5) end
            -- what the main state reads of a thread is numbers and strings only (wrk's thread:get of a table unbalances
            -- the thread's Lua stack): due counts per second are the numbers due_<second>, sent request numbers runs
            -- "from-to" joined into the string ranges, the queued slots first..last (each due at slot_due(k))
            function second_of(due) return math.floor((due - phase_start) / 1000000) end
            function count_due(due)
              local name = "due_" .. second_of(due)
              _G[name] = (_G[name] or 0) + 1
            end
            function close_run()
              if run_from then
                ranges = ranges .. (ranges == "" and "" or ",") .. string.format("%.0f-%.0f", run_from, run_to)
                run_from = nil
              end
            end
            function stamp()
              local now = now_us()
              if origin == nil then return now end  -- wrk's check of the script, before any delay(): never sent
              local s = now
              if first <= last then
                s = math.min(micros(slot_due(first)), now)
                first = first + 1
              end
              if s < measure_to then
                count_due(s)
                if s >= measure_from then
                  sent = sent + 1
                  if run_from and n == run_to + 1 then run_to = n else close_run(); run_from, run_to = n, n end
                end
              end
              return s
            end
            function schedule_report()  -- in wrk's main Lua state, after its threads stopped
              local due = {}
              for _, t in ipairs(bench_threads) do
                origin = t:get("origin")  -- for slot_due() here
                if origin == nil then io.write("BENCH-FAILED a wrk thread never asked for a slot\\n"); return end
                local never_sent = 0
                local function unsent(slot)
                  if slot < measure_to then
                    local second = second_of(slot)
                    due[second] = (due[second] or 0) + 1
                    if slot >= measure_from then never_sent = never_sent + 1 end
                    return true
                  end
                end
                local k = t:get("first")  -- the slots still queued when wrk stopped, then those it never got to
                while unsent(micros(slot_due(k))) do k = k + 1 end
                for second = 0, SECONDS - 1 do due[second] = (due[second] or 0) + (t:get("due_" .. second) or 0) end
                local ranges, run_from = t:get("ranges"), t:get("run_from")
                if run_from then
                  ranges = ranges .. (ranges == "" and "" or ",") .. string.format("%.0f-%.0f", run_from, t:get("run_to"))
                end
                io.write(string.format("BENCH-THREAD %.0f %.0f %.0f %.0f %s\\n", t:get("tid"), origin * 1000, t:get("sent"),
                  never_sent, ranges ~= "" and ranges or "none"))
              end
              io.write("BENCH-DUE-BY-SECOND")
              for second = 0, SECONDS - 1 do io.write(string.format(" %.0f", due[second] or 0)) end
              io.write("\\n")
            end
            """;

    /**
     * What wrk did with the delivery phase's schedule (DELIVERY_SCHEDULE's report): per thread, the request numbers
     * sent in the measured seconds (as ranges: a stamp goes back only after a re-send) and the slots due in them that
     * it never sent; and every message and slot due in each second of the phase until the measured ones end.
     */
    private record Schedule(Map<Long, List<long[]>> sentByThread, long sent, long neverSent, long[] dueBySecond) {

        static Schedule of(String wrkOut, long measureFrom) {
            Map<Long, List<long[]>> sentByThread = new HashMap<>();
            long sent = 0;
            long neverSent = 0;
            Matcher m = Pattern.compile("(?m)^BENCH-THREAD (\\d+) (\\d+) (\\d+) (\\d+) (\\S+)$").matcher(wrkOut);
            while (m.find()) {
                long tid = Long.parseLong(m.group(1));
                long origin = Long.parseLong(m.group(2));
                long threadSent = Long.parseLong(m.group(3));
                if (origin > measureFrom) {
                    throw new IllegalStateException("wrk thread " + tid + "'s schedule began " + (origin - measureFrom) / 1000
                            + " ms after the measured seconds began: they are not all measured");
                }
                List<long[]> ranges = new ArrayList<>();
                long inRanges = 0;
                for (String range : "none".equals(m.group(5)) ? new String[0] : m.group(5).split(",")) {
                    String[] ends = range.split("-");
                    ranges.add(new long[] {Long.parseLong(ends[0]), Long.parseLong(ends[1])});
                    inRanges += Long.parseLong(ends[1]) - Long.parseLong(ends[0]) + 1;
                }
                if (inRanges != threadSent) {
                    throw new IllegalStateException("wrk thread " + tid + " counted " + threadSent + " messages sent in the"
                            + " measured seconds and numbered " + inRanges);
                }
                sentByThread.put(tid, ranges);
                sent += threadSent;
                neverSent += Long.parseLong(m.group(4));
            }
            if (sentByThread.size() != WRK_THREADS) {
                throw new IllegalStateException("wrk reported the schedule of " + sentByThread.size() + " of " + WRK_THREADS
                        + " threads: " + wrkOut);
            }
            long[] dueBySecond = Arrays.stream(find(wrkOut, "BENCH-DUE-BY-SECOND((?: \\d+)*)").trim().split(" "))
                    .mapToLong(Long::parseLong).toArray();
            long inMeasured = Arrays.stream(dueBySecond, dueBySecond.length - SECONDS, dueBySecond.length).sum();
            if (inMeasured != sent + neverSent) {
                throw new IllegalStateException("wrk's schedule has " + inMeasured + " slots due in the measured seconds by"
                        + " second, and " + (sent + neverSent) + " by thread");
            }
            return new Schedule(sentByThread, sent, neverSent, dueBySecond);
        }

        /** Whether the message with this key (wrk thread and request number) was sent in the measured seconds. */
        boolean sent(String key) {
            int dash = key.indexOf('-');
            long n = Long.parseLong(key.substring(dash + 1));
            return sentByThread.getOrDefault(Long.parseLong(key.substring(0, dash)), List.of()).stream()
                    .anyMatch(range -> range[0] <= n && n <= range[1]);
        }
    }

    /** The keys of the messages the database holds in the senders' conversations that were due in [from, to) µs. */
    private static Set<String> committedBetween(PostgresResource.Server pg, String db, List<Sender> senders, long from, long to)
            throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password());
                PreparedStatement ps = c.prepareStatement("SELECT key FROM (SELECT substring(content from '"
                        + STORED_MARK + "')::bigint AS due, substring(content from '" + STORED_KEY + "') AS key"
                        + " FROM messages WHERE conversation_id = ANY (?)) m WHERE due >= ? AND due < ?")) {
            ps.setArray(1, c.createArrayOf("uuid", senders.stream().map(s -> UUID.fromString(s.conversation)).toArray()));
            ps.setLong(2, from);
            ps.setLong(3, to);
            Set<String> keys = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
            return keys;
        }
    }

    /**
     * Reads every SSE stream on one thread with one selector (raw HTTP/1.1; the marks are found in the
     * bytes as they arrive): a thread per stream, or the JDK client's hand-offs between threads, cost
     * CPU on the cores the service runs on and added their own scheduling delays to the figures.
     */
    private final class StreamReader implements Runnable {
        final CountDownLatch connected;
        /** Longs an event takes in {@link #events}. */
        private static final int FIELDS = 4;
        /**
         * Per event of this phase, in arrival order: created, its batch's start in the database, received (µs), and its
         * key (wrk thread in the high 32 bits, request number in the low). The reader does the same small work for every
         * event from the phase's start, so the measured seconds cost it no more than the warm-up (it once parsed sentAt
         * with Instant.parse only in the measured seconds, and the first of them read 40–50 ms worse while that code was
         * still interpreted). Sized for the whole phase up front, and nothing else it keeps grows per event: until the
         * eighth session of 2026-12-07 it kept every key as a String in two sets and doubled this array as it went,
         * and the JVM's collector, marking that, paused the reader for 17 ms twice within 0.1 s and took CPU from the
         * service (benchmark/RESULTS.md).
         */
        private long[] events;
        /** The events of this phase delivered so far (read after the reader has stopped). */
        int eventCount;
        /** Those due in the measured seconds, as the reader goes. */
        private volatile int measuredCount;
        /** The request numbers of this phase's events, by wrk thread: an event delivered twice fails the phase. */
        private final BitSet[] seen = new BitSet[WRK_THREADS];
        /** Why the reader stopped early (a stream ended, a duplicate, a refusal), or null. */
        volatile Exception failure;
        private final long phaseStart;
        private final long measureFrom;
        private final long measureTo;
        private final Selector selector;
        private volatile boolean stopped;

        StreamReader(List<Sender> senders, String streamsUrl, long phaseStart, long measureFrom, long measureTo,
                int expectedEvents) throws Exception {
            this.events = new long[FIELDS * expectedEvents];
            for (int t = 0; t < WRK_THREADS; t++) {
                seen[t] = new BitSet(expectedEvents / WRK_THREADS + 1);
            }
            this.phaseStart = phaseStart;
            this.measureFrom = measureFrom;
            this.measureTo = measureTo;
            this.connected = new CountDownLatch(senders.size());
            this.selector = Selector.open();
            for (Sender s : senders) {
                URI uri = URI.create(streamsUrl);
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
                ch.write(ByteBuffer.wrap(("GET /v1/events HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nAccept: text/event-stream\r\n"
                        + "Authorization: Bearer " + s.token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, new StringBuilder());
            }
        }

        @Override
        public void run() {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (!stopped) {
                    selector.select(200);
                    for (SelectionKey key : selector.selectedKeys()) {
                        long now = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()); // per stream: a read takes time
                        StringBuilder pending = (StringBuilder) key.attachment();
                        buf.clear();
                        if (((SocketChannel) key.channel()).read(buf) < 0) { // the service closed it
                            throw new IllegalStateException("an event stream ended");
                        }
                        pending.append(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
                        read(pending, now);
                    }
                    selector.selectedKeys().clear();
                }
            } catch (Exception e) {
                failure = e;
            } finally {
                for (SelectionKey key : selector.keys()) {
                    try {
                        key.channel().close();
                    } catch (Exception ignored) {
                        // closing anyway
                    }
                }
            }
        }

        /** Writes every event of the phase (read after the reader has stopped). */
        void trace(Path file) throws IOException {
            StringBuilder csv = new StringBuilder("due,batch_began,received\n");
            for (int i = 0; i < eventCount; i++) {
                csv.append(due(i)).append(',').append(began(i)).append(',').append(received(i)).append('\n');
            }
            Files.writeString(file, csv);
        }

        /** Takes the complete marks out of {@code pending}; the first bytes (status line) mean connected. */
        private void read(StringBuilder pending, long now) {
            if (pending.length() > 0 && pending.charAt(0) == 'H') {
                if (pending.indexOf("\r\n") < 0) {
                    return; // the status line is not complete yet
                }
                if (!pending.toString().startsWith("HTTP/1.1 200")) {
                    throw new IllegalStateException("event stream refused: " + pending.substring(0, Math.min(80, pending.length())));
                }
                connected.countDown();
                pending.setCharAt(0, ' ');
            }
            Matcher m = MARK.matcher(pending);
            int end = 0;
            while (m.find()) {
                end = m.end();
                long created = Long.parseLong(pending, m.start(1), m.end(1), 10);
                if (created >= phaseStart) { // not an earlier phase's message
                    int dash = pending.indexOf("-", m.start(2));
                    int thread = Integer.parseInt(pending, m.start(2), dash, 10);
                    int request = Integer.parseInt(pending, dash + 1, m.end(2), 10);
                    if (thread < 0 || thread >= WRK_THREADS) {
                        throw new IllegalStateException("an event of a wrk thread the phase did not run: " + thread);
                    }
                    if (seen[thread].get(request)) {
                        throw new IllegalStateException("an event delivered twice: message " + thread + "-" + request);
                    }
                    seen[thread].set(request);
                    int at = FIELDS * eventCount;
                    if (at + FIELDS > events.length) {
                        events = Arrays.copyOf(events, events.length * 2);  // more than the phase was sized for
                    }
                    events[at] = created;
                    events[at + 1] = epochMicros(pending, m.start(3));
                    events[at + 2] = now;
                    events[at + 3] = ((long) thread << 32) | request;
                    eventCount++;
                    if (measured(created)) {
                        measuredCount++;
                    }
                }
            }
            // keep what may be the start of a mark whose event is not complete yet: from its last "#bench-" after the
            // complete ones, or else the last bytes, in which "#bench-" may be cut in two
            int split = pending.indexOf("#bench-", end);
            pending.delete(0, split >= 0 ? split : Math.max(end, pending.length() - "#bench-".length() + 1));
        }

        int measuredCount() {
            return measuredCount;
        }

        /** The keys of the events due in the measured seconds, as the database's messages carry them (after the phase). */
        Set<String> measuredKeys() {
            Set<String> keys = new HashSet<>();
            for (int i = 0; i < eventCount; i++) {
                if (measured(due(i))) {
                    keys.add((key(i) >>> 32) + "-" + (int) key(i));
                }
            }
            return keys;
        }

        /** Event i's due time, the start of its batch in the database, and when it was received (µs). */
        private long due(int i) {
            return events[FIELDS * i];
        }

        private long began(int i) {
            return events[FIELDS * i + 1];
        }

        private long received(int i) {
            return events[FIELDS * i + 2];
        }

        /** Event i's key: its wrk thread in the high 32 bits, its request number in the low. */
        private long key(int i) {
            return events[FIELDS * i + 3];
        }

        private boolean measured(long due) {
            return due >= measureFrom && due < measureTo;
        }

        /** Latencies (ns) of the events created in the measured seconds: whole, before the batch began, and after. */
        List<long[]> measured() {
            long[] whole = new long[eventCount];
            long[] before = new long[eventCount];
            long[] after = new long[eventCount];
            int n = 0;
            for (int i = 0; i < eventCount; i++) {
                if (measured(due(i))) {
                    whole[n] = (received(i) - due(i)) * 1000;
                    before[n] = (began(i) - due(i)) * 1000;
                    after[n] = (received(i) - began(i)) * 1000;
                    n++;
                }
            }
            return List.of(Arrays.copyOf(whole, n), Arrays.copyOf(before, n), Arrays.copyOf(after, n));
        }

        /**
         * The p99 of each second of the phase, by the second the messages were due in. {@code dueBySecond}: the messages
         * and slots due in each second before the measured ones end; those of them that never arrived count as infinite
         * ("never" when they are more than 1 %, and the count beside it). After the measured seconds wrk stops with
         * sends in flight, and only what arrived counts.
         */
        String secondsP99(long[] dueBySecond) {
            List<List<Long>> bySecond = new ArrayList<>();
            for (int i = 0; i < eventCount; i++) {
                int second = (int) ((due(i) - phaseStart) / 1_000_000L);
                while (bySecond.size() <= second) {
                    bySecond.add(new ArrayList<>());
                }
                bySecond.get(second).add((received(i) - due(i)) * 1000);
            }
            while (bySecond.size() < dueBySecond.length) {
                bySecond.add(new ArrayList<>());
            }
            long[] undelivered = new long[bySecond.size()];
            for (int i = 0; i < dueBySecond.length; i++) {
                undelivered[i] = dueBySecond[i] - bySecond.get(i).size();
                if (undelivered[i] < 0) {
                    throw new IllegalStateException(bySecond.get(i).size() + " events due in second " + i + " of the phase,"
                            + " of which wrk's schedule has " + dueBySecond[i]);
                }
                for (long k = 0; k < undelivered[i]; k++) {
                    bySecond.get(i).add(Long.MAX_VALUE);
                }
            }
            StringBuilder out = new StringBuilder();
            int measured = (int) ((measureFrom - phaseStart) / 1_000_000L);
            int after = (int) ((measureTo - phaseStart) / 1_000_000L);
            for (int i = 0; i < bySecond.size(); i++) {
                long[] sorted = bySecond.get(i).stream().mapToLong(Long::longValue).sorted().toArray();
                out.append(i == measured || i == after ? " | " : " ").append(sorted.length == 0 ? "-"
                        : at(sorted, 0.99) >= Long.MAX_VALUE / 1e6 ? "never"
                        : String.format(Locale.ROOT, "%.0f", at(sorted, 0.99)));
                if (undelivered[i] > 0) {
                    out.append(String.format(Locale.ROOT, " (%,d undelivered)", undelivered[i]));
                }
            }
            return out.toString().trim() + " ms";
        }

        void stop() {
            stopped = true;
            selector.wakeup();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Warm-up, then counts what {@code done} gained while {@code measuring} was on; returns per second. */
    private static double measure(AtomicBoolean measuring, AtomicLong done, int warmUpSeconds) throws InterruptedException {
        TimeUnit.SECONDS.sleep(warmUpSeconds);
        long start = System.nanoTime();
        measuring.set(true);
        TimeUnit.SECONDS.sleep(SECONDS);
        measuring.set(false);
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** What the server says it runs with, rather than what it was asked to. */
    private static String serverSettings(PostgresResource.Server pg, Set<String> asked) throws SQLException {
        StringBuilder out = new StringBuilder();
        Set<String> names = new LinkedHashSet<>(List.of("server_version", "fsync", "full_page_writes", "wal_sync_method",
                "shared_buffers", "max_wal_size", "checkpoint_timeout"));
        names.addAll(asked);  // -Dbench.pg.<setting>
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
                PreparedStatement show = c.prepareStatement("SELECT current_setting(?)");
                Statement s = c.createStatement()) {
            for (String name : names) {
                show.setString(1, name);
                try (ResultSet rs = show.executeQuery()) {
                    rs.next();
                    out.append(out.length() == 0 ? "" : ", ").append(name).append('=').append(rs.getString(1));
                }
            }
            // the benchmark's databases are made from template1 and take its collation (production's is C)
            try (ResultSet rs = s.executeQuery("SELECT datcollate FROM pg_database WHERE datname = 'template1'")) {
                rs.next();
                out.append(", collation=").append(rs.getString(1));
            }
        }
        return out.toString();
    }

    /**
     * Brings a new server's WAL to what a running one has: segments to reuse. A cluster fresh from initdb has none, so
     * each 16 MB segment is created by the commit that first needs it, written as zeros and flushed while every commit
     * waits (wait events WalInitWrite, WalInitSync): 40–60 ms every 16 MB of WAL, every 2 s in the delivery phase and
     * every second in the sends phase. A server that has been running recycles the segments a checkpoint no longer
     * needs, as many as its recent checkpoints' distance asks for (up to max_wal_size), and creates none while its
     * rate of WAL holds. Here: max_wal_size worth of segments, each switched to once, then a checkpoint, which
     * renames them for reuse (max_wal_size worth written to java.io.tmpdir first: 1 GB by default). Returns how many
     * are ready.
     */
    private static String walSegmentsToReuse(PostgresResource.Server pg) {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
                Statement s = c.createStatement()) {
            long segment = scalar(s, "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'");
            long maxWal = scalar(s, "SELECT pg_size_bytes(current_setting('max_wal_size'))");
            for (long i = 0; i < maxWal / segment; i++) {
                // a switch needs a record in the segment; a logical message is one, whatever wal_level is
                s.execute("SELECT pg_logical_emit_message(false, 'commercechat-benchmark', 'wal warm-up')");
                s.execute("SELECT pg_switch_wal()");
            }
            s.execute("CHECKPOINT");
            long ahead = scalar(s, "SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'"
                    + " AND name > pg_walfile_name(pg_current_wal_lsn())");
            return String.format(Locale.ROOT, "%d (%d MB; max_wal_size %d MB)", ahead, ahead * segment >> 20, maxWal >> 20);
        } catch (SQLException e) {
            throw new IllegalStateException("could not ready the embedded server's WAL segments for reuse (switching"
                    + " through max_wal_size of them, then a checkpoint; a -Dbench.pg setting such as wal_recycle=off can"
                    + " prevent it): " + e.getMessage(), e);
        }
    }

    private static long scalar(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** This machine's page-cache writeback settings: on one disk they decide how long a commit's fsync can wait. */
    private static String writeback() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("dirty_background_bytes", "dirty_background_ratio", "dirty_expire_centisecs",
                "dirty_writeback_centisecs")) {
            try {
                out.append(out.length() == 0 ? "" : ", ").append("vm.").append(name).append('=')
                        // not Files.readString: on JDK 17 it returns the first byte of a /proc file (size 0)
                        .append(String.join("", Files.readAllLines(Path.of("/proc/sys/vm", name))).trim());
            } catch (IOException | RuntimeException e) {
                return "not readable here (" + e.getClass().getSimpleName() + ")";
            }
        }
        return out.toString();
    }

    /**
     * What a commit's WAL flush costs on this disk before any load: 200 writes of 8 kB, each followed by
     * fdatasync. The baseline's rate depends on it (one flush per row), the sends' much less (one per batch):
     * where the disk acknowledges a flush in 0.04 ms the baseline is bound by CPU alone (RESULTS.md, sixth session).
     */
    private static String diskFlush() {
        Path probe = null;
        try {
            probe = Files.createTempFile("bench-flush", ".probe");
            long[] nanos = new long[200];
            try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.WRITE)) {
                ByteBuffer page = ByteBuffer.allocate(8192);
                for (int i = 0; i < nanos.length; i++) {
                    page.clear();
                    ch.write(page, (i % 16) * 8192L);
                    long t = System.nanoTime();
                    ch.force(false); // fdatasync, as PostgreSQL's default wal_sync_method
                    nanos[i] = System.nanoTime() - t;
                }
            }
            Arrays.sort(nanos);
            return String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms, max %.2f ms", at(nanos, 0.50), at(nanos, 0.99),
                    nanos[nanos.length - 1] / 1e6);
        } catch (IOException e) {
            return "not measurable here (" + e.getClass().getSimpleName() + ")";
        } finally {
            if (probe != null) {
                probe.toFile().delete();
            }
        }
    }

    private static String percentiles(long[] nanos) {
        if (nanos.length == 0) {
            return "no samples";
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "p50 %s, p90 %s, p99 %s, max %s (n=%d)", ms(at(sorted, 0.50)),
                ms(at(sorted, 0.90)), ms(at(sorted, 0.99)), ms(sorted[sorted.length - 1] / 1e6), sorted.length);
    }

    /** Milliseconds, or "never" for a message that was never delivered (Long.MAX_VALUE ns). */
    private static String ms(double millis) {
        return millis >= Long.MAX_VALUE / 1e6 ? "never" : String.format(Locale.ROOT, "%.1f ms", millis);
    }

    /**
     * µs since the epoch of an ISO-8601 instant in UTC as Jackson writes it ({@code 2026-12-05T09:30:00.123456Z},
     * 0–9 fraction digits) starting at {@code at}: by hand, a few ns, where Instant.parse took microseconds.
     */
    static long epochMicros(CharSequence s, int at) {
        long day = LocalDate.of(digits(s, at, 4), digits(s, at + 5, 2), digits(s, at + 8, 2)).toEpochDay();
        long micros = ((day * 24 + digits(s, at + 11, 2)) * 60 + digits(s, at + 14, 2)) * 60 + digits(s, at + 17, 2);
        micros *= 1_000_000L;
        int i = at + 19;
        if (s.charAt(i) == '.') {
            long scale = 100_000L;
            for (i++; Character.isDigit(s.charAt(i)); i++, scale /= 10) {
                micros += (s.charAt(i) - '0') * scale;  // digits beyond µs add 0 (scale 0)
            }
        }
        if (s.charAt(i) != 'Z') {
            throw new IllegalStateException("sentAt is not an instant in UTC: " + s.subSequence(at, i + 1));
        }
        return micros;
    }

    private static int digits(CharSequence s, int at, int n) {
        int v = 0;
        for (int i = at; i < at + n; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
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

        Sender(String baseUrl, String person) throws Exception {
            this.person = person;
            this.baseUrl = baseUrl;
            this.token = issuer.person(person, TOKEN_LIFETIME);
            HttpResponse<String> r = http.send(json("/v1/conversations", "{\"businessId\":\"demo-shop\"}"),
                    HttpResponse.BodyHandlers.ofString());
            Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
            if (r.statusCode() >= 300 || !id.find()) {
                throw new IllegalStateException("could not open a conversation: " + r.statusCode() + " " + r.body());
            }
            this.conversation = id.group(1);
        }



        private HttpRequest json(String path, String body) {
            return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        }
    }
}
