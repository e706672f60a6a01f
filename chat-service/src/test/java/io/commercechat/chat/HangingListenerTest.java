package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.testkit.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A LISTEN connection cut off on the network (its relay passes nothing more either way and tells neither end, as a
 * firewall that forgot an idle connection leaves it) is replaced, and leaves no backend behind: its close cannot reach
 * the server, so the server would keep it LISTENing until TCP keepalive gives up, hours later. Each replacement leaves
 * this replica exactly one LISTEN backend, not one more each time. While a listener cannot connect (the relay refuses
 * new connections), the log says so in a few lines, not one a second.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayedDatabaseResource.class, restrictToAnnotatedClass = true)
class HangingListenerTest {

    @Inject
    Pool pool;

    @ConfigProperty(name = "quarkus.datasource.reactive.max-size")
    int poolSize;

    private record Listener(int pid, int clientPort) {}

    @Test
    void aReplacedListenerLeavesNoBackendBehind() throws Exception {
        Assumptions.assumeFalse(PostgresResource.external(), "the relay reaches only the embedded PostgreSQL");
        assertNotNull(RelayedDatabaseResource.relay, "chat-service's connections go through the relay");
        Listener listening = onlyListenerOtherThan(-1);
        for (int replacement = 1; replacement <= 2; replacement++) {
            RelayedDatabaseResource.relay.silenceConnectionFrom(listening.clientPort());
            // checked every 2 s, 1 s to answer (in tests): replaced within about 3 s
            listening = onlyListenerOtherThan(listening.pid());
        }
        // and it stays one: a replaced listener does not reconnect
        Thread.sleep(3000);
        assertEquals(List.of(listening), listeners(), "this replica's one LISTEN backend");
    }

    /**
     * The listener is replaced while no new connection to the database can be made: the replacement's first connect
     * fails, and it is tried again until the database can be reached. Before, a listener whose first connect failed
     * was never tried again, and this replica's streams polled until it restarted. Its outage is logged in a few lines,
     * not in one warning a second (it was, for as long as the database could not be reached).
     */
    @Test
    void aReplacementThatCannotConnectListensOnceTheDatabaseCanBeReachedAgain() throws Exception {
        Assumptions.assumeFalse(PostgresResource.external(), "the relay reaches only the embedded PostgreSQL");
        Listener listening = onlyListenerOtherThan(-1);
        // the pool holds all the connections it may open (as many queries at once), so nothing it does meanwhile needs a
        // new one: the replaced backend is ended through one of them
        Multi.createFrom().range(0, poolSize).onItem().transformToUniAndMerge(i -> pool.query("SELECT pg_sleep(0.3)").execute())
                .collect().asList().await().atMost(Duration.ofSeconds(30));
        try (ListenerLog log = ListenerLog.capture()) {
            RelayedDatabaseResource.relay.refuseNewConnections(true);
            try {
                RelayedDatabaseResource.relay.silenceConnectionFrom(listening.clientPort());
                // replaced: the old backend is ended (from a pool connection open before), the new one cannot connect
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!listeners().isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the silenced listener was not replaced: " + listeners());
                    }
                    Thread.sleep(100);
                }
                log.awaitDownForSeveralAttempts();
            } finally {
                RelayedDatabaseResource.relay.refuseNewConnections(false);
            }
            onlyListenerOtherThan(listening.pid());
            log.assertOutageLoggedInFewLines();
        }
    }

    /**
     * The listener's connection closes (its backend ended) while no new connection can be made: it is reconnected
     * every second by the subscriber itself, which says nothing of it, so the replica logs it as for a replacement
     * that cannot connect. Before, such an outage left no line in the log at all.
     */
    @Test
    void aListenerThatLostItsConnectionSaysItIsDownOnceAndWhenItListensAgain() throws Exception {
        Assumptions.assumeFalse(PostgresResource.external(), "the relay reaches only the embedded PostgreSQL");
        Listener listening = onlyListenerOtherThan(-1);
        try (ListenerLog log = ListenerLog.capture()) {
            RelayedDatabaseResource.relay.refuseNewConnections(true);
            try {
                try (Connection db = ChatTestSupport.database();
                        PreparedStatement end = db.prepareStatement("SELECT pg_terminate_backend(?)")) {
                    end.setInt(1, listening.pid());
                    end.execute();
                }
                log.awaitDownForSeveralAttempts();
            } finally {
                RelayedDatabaseResource.relay.refuseNewConnections(false);
            }
            onlyListenerOtherThan(listening.pid());
            log.assertOutageLoggedInFewLines();
        }
    }

    /**
     * InboxFeed's log while a test runs, as the service writes it (the records of its logger). In tests the listener is
     * tried again every second and warned about again every 3 s (chat.listen-outage-warning-interval).
     */
    private static final class ListenerLog extends Handler implements AutoCloseable {
        private static final long DOWN_SECONDS = 7;
        private final java.util.logging.Logger logger = java.util.logging.Logger.getLogger(InboxFeed.class.getName());
        private final List<String> warnings = new CopyOnWriteArrayList<>();
        private final List<String> infos = new CopyOnWriteArrayList<>();

        static ListenerLog capture() {
            ListenerLog log = new ListenerLog();
            log.logger.addHandler(log);
            return log;
        }

        @Override
        public void publish(LogRecord record) {
            String text = ((ExtLogRecord) record).getFormattedMessage();
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(text);
            } else if (record.getLevel().intValue() >= Level.INFO.intValue()) {
                infos.add(text);
            }
        }

        /** Until the listener is said to be down, then {@link #DOWN_SECONDS} more, while it is tried every second. */
        void awaitDownForSeveralAttempts() throws InterruptedException {
            awaitLine(warnings, "inbox LISTEN connection down (");
            Thread.sleep(TimeUnit.SECONDS.toMillis(DOWN_SECONDS));
        }

        /**
         * One warning when it went down, one every 3 s while it stayed down, one line when it listened again, which
         * counts the attempts that failed: far fewer lines than attempts.
         */
        void assertOutageLoggedInFewLines() throws InterruptedException {
            String back = awaitLine(infos, "inbox LISTEN connection listening again");
            List<String> outage = warnings.stream().filter(w -> w.startsWith("inbox LISTEN connection down (")
                    || w.startsWith("inbox LISTEN connection still down")).toList();
            assertEquals(1, outage.stream().filter(w -> w.startsWith("inbox LISTEN connection down (")).count(),
                    "one warning when it went down: " + warnings);
            long still = outage.size() - 1;
            assertTrue(still >= 1 && still <= DOWN_SECONDS / 3 + 1, "a warning every 3 s while it stayed down: " + warnings);
            Matcher failed = Pattern.compile("\\((\\d+) attempts failed\\)").matcher(back);
            assertTrue(failed.find(), back);
            int attempts = Integer.parseInt(failed.group(1));
            assertTrue(attempts >= DOWN_SECONDS - 2, "tried again every second while it was down: " + back);
            assertEquals(1, infos.stream().filter(i -> i.startsWith("inbox LISTEN connection listening again")).count(),
                    "one line when it listened again: " + infos);
        }

        private static String awaitLine(List<String> lines, String start) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            for (;;) {
                for (String line : lines) {
                    if (line.startsWith(start)) {
                        return line;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no line '" + start + "...' logged: " + lines);
                }
                Thread.sleep(100);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    /**
     * This replica's LISTEN backend once it is the only one and not {@code replaced}: a new one listens and the
     * replaced one has ended (waits up to 15 s).
     */
    private Listener onlyListenerOtherThan(int replaced) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (;;) {
            List<Listener> now = listeners();
            if (now.size() == 1 && now.get(0).pid() != replaced) {
                return now.get(0);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(now.size() + " LISTEN backends instead of this replica's one, "
                        + (replaced < 0 ? "" : "the replaced " + replaced + " gone: ") + now);
            }
            Thread.sleep(100);
        }
    }

    /** Read directly, not through the relay (which may be refusing connections). */
    private List<Listener> listeners() throws SQLException {
        List<Listener> found = new ArrayList<>();
        try (Connection db = ChatTestSupport.database();
                PreparedStatement q = db.prepareStatement("SELECT pid, client_port FROM pg_stat_activity"
                        + " WHERE application_name = ? AND datname = current_database() ORDER BY pid")) {
            q.setString(1, InboxFeed.LISTENER_NAME);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    found.add(new Listener(r.getInt(1), r.getInt(2)));
                }
            }
        }
        return found;
    }
}
