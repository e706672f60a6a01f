package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A replica that shuts down (a rolling update) gives the consent event lease back, so another replica follows the
 * event stream at its next lease check instead of after the 30 s lease ran out: revocations keep removing cards.
 * The packaged jar as a real process, stopped with SIGTERM.
 */
class ConsentLeaseHandOverIT {

    @Test
    void aReplicaThatStopsGivesTheLeaseBack() throws Exception {
        Map<String, String> config = MeshPeers.chatProcessConfig(TestIssuer.get(), "handover_");
        // consent-service is not under test: the stream only has to be tried (and fail); the lease is taken first
        String nowhere = Integer.toString(ServiceProcess.freePort());
        for (String peer : new String[] {"account-link", "consent"}) {
            config.put("quarkus.grpc.clients." + peer + ".host", "127.0.0.1");
            config.put("quarkus.grpc.clients." + peer + ".port", nowhere);
        }
        try (ServiceProcess replica = ServiceProcess.start("chat-service", config);
                Connection db = DriverManager.getConnection(config.get("quarkus.datasource.jdbc.url"),
                        config.get("quarkus.datasource.username"), config.get("quarkus.datasource.password"));
                Statement st = db.createStatement()) {
            awaitLease(st, true, Duration.ofSeconds(20));
            replica.close();
            assertEquals(0, awaitLease(st, false, Duration.ofSeconds(3)), "given back when the replica stopped");
        }
    }

    /** Waits until the lease is held (or free) now; returns how many leases are held. */
    private static int awaitLease(Statement st, boolean held, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        int holders;
        do {
            try (ResultSet r = st.executeQuery("SELECT count(*) FROM consent_event_cursor WHERE holder IS NOT NULL"
                    + " AND lease_until > now()")) {
                r.next();
                holders = r.getInt(1);
            }
            if ((holders > 0) == held) {
                return holders;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        assertTrue((holders > 0) == held, held ? "the replica took the lease" : "the lease is still held");
        return holders;
    }
}
