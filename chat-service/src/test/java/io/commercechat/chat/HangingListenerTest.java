package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A LISTEN connection cut off on the network (its relay passes nothing more either way and tells neither end, as a
 * firewall that forgot an idle connection leaves it) is replaced, and leaves no backend behind: its close cannot reach
 * the server, so the server would keep it LISTENing until TCP keepalive gives up, hours later. Each replacement leaves
 * this replica exactly one LISTEN backend, not one more each time.
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
     * was never tried again, and this replica's streams polled until it restarted.
     */
    @Test
    void aReplacementThatCannotConnectListensOnceTheDatabaseCanBeReachedAgain() throws Exception {
        Assumptions.assumeFalse(PostgresResource.external(), "the relay reaches only the embedded PostgreSQL");
        Listener listening = onlyListenerOtherThan(-1);
        // the pool holds all the connections it may open (as many queries at once), so nothing it does meanwhile needs a
        // new one: the replaced backend is ended through one of them
        Multi.createFrom().range(0, poolSize).onItem().transformToUniAndMerge(i -> pool.query("SELECT pg_sleep(0.3)").execute())
                .collect().asList().await().atMost(Duration.ofSeconds(30));
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
            Thread.sleep(2000);  // a first try and a retry refused
        } finally {
            RelayedDatabaseResource.relay.refuseNewConnections(false);
        }
        onlyListenerOtherThan(listening.pid());
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
