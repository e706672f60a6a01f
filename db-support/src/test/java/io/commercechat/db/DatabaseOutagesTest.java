package io.commercechat.db;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Which database failures pass, wherever they are wrapped; PgException is what the driver raises for an error. */
class DatabaseOutagesTest {

    @Test
    void passingOutagesAreFoundWhereverTheyAreWrapped() {
        for (Throwable outage : new Throwable[] {
                pg("55P03"),  // lock_timeout
                pg("08006"),  // connection_failure
                pg("53300"),  // too_many_connections
                pg("57P01"),  // admin_shutdown: the server restarts or fails over
                pg("40P01"),  // deadlock_detected
                pg("40001"),  // serialization_failure
                ClosedConnectionException.INSTANCE,
                new ConnectException("Connection refused"),
                new UnknownHostException("commerce-chat-db-rw"),  // a DNS blip
                new NoRouteToHostException("No route to host"),
                // as Hibernate Reactive hands a driver error on: a JDBC exception carrying the SQLSTATE
                new SQLException("could not execute statement", "40P01", pg("40P01"))}) {
            assertTrue(DatabaseOutages.passing(new CompletionException(new IllegalStateException("session failed", outage))),
                    outage.toString());
        }
    }

    @Test
    void onlyALostConnectionLeavesAWriteUnconfirmed() {
        assertTrue(DatabaseOutages.connectionLost(new CompletionException(pg("08006"))));
        assertTrue(DatabaseOutages.connectionLost(ClosedConnectionException.INSTANCE));
        assertTrue(DatabaseOutages.connectionLost(new SQLException("gone", "57P01")));
        assertFalse(DatabaseOutages.connectionLost(pg("55P03")), "a lock timeout rolled the statement back");
        assertTrue(DatabaseOutages.refusedForNow(pg("55P03")));
        assertFalse(DatabaseOutages.connectionLost(pg("23505")));
    }

    @Test
    void otherDatabaseFailuresDoNotPass() {
        // unique_violation, undefined_table, string_data_right_truncation, protocol_violation
        for (String state : new String[] {"23505", "42P01", "22001", "08P01"}) {
            assertFalse(DatabaseOutages.passing(pg(state)), state);
            assertFalse(DatabaseOutages.passing(new SQLException("failed", state)), state);
        }
        assertFalse(DatabaseOutages.passing(new IllegalStateException("Timeout")), "only the pool's own timeout is the pool's");
        assertFalse(DatabaseOutages.passing(new SQLException("no state")));
    }

    private static PgException pg(String sqlState) {
        return new PgException("failed", "ERROR", sqlState, null);
    }
}
