package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.testkit.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private List<Listener> listeners() {
        List<Listener> found = new ArrayList<>();
        for (Row r : pool.preparedQuery("SELECT pid, client_port FROM pg_stat_activity WHERE application_name = $1"
                + " AND datname = current_database() ORDER BY pid").execute(Tuple.of(InboxFeed.LISTENER_NAME))
                .await().atMost(Duration.ofSeconds(10))) {
            found.add(new Listener(r.getInteger(0), r.getInteger(1)));
        }
        return found;
    }
}
