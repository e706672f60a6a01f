package io.commercechat.chat.error;

import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.util.Set;

/**
 * Failures of the database that pass (a lost connection, a failover, a lock held too long, a deadlock): the caller
 * should try again, so both edges answer them as unavailable (503 with Retry-After, gRPC UNAVAILABLE) instead of as a
 * server error. Every write here is one transaction and every send is idempotent by its client message id, so trying
 * again is safe.
 */
public final class DatabaseOutages {

    /** SQLSTATEs of a connection that failed or a server going away (PostgreSQL's appendix A). */
    private static final Set<String> CONNECTION = Set.of(
            "08000", "08001", "08003", "08004", "08006",  // connection exceptions
            "08007",  // transaction_resolution_unknown
            "57P01", "57P02", "57P03");  // admin_shutdown, crash_shutdown, cannot_connect_now

    /** SQLSTATEs of a statement the database refused for now, having rolled it back. */
    private static final Set<String> REFUSED_FOR_NOW = Set.of(
            "40001",  // serialization_failure
            "40P01",  // deadlock_detected
            "55P03",  // lock_not_available (lock_timeout)
            "53200", "53300",  // out_of_memory, too_many_connections
            "25006");  // read_only_sql_transaction: a failover has not reached this connection yet

    private DatabaseOutages() {}

    /** The unavailable failure to answer with, or null when {@code failure} is not a passing database outage. */
    public static ChatFailure asUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (connectionLost(t) || t instanceof DatabaseException d && REFUSED_FOR_NOW.contains(d.getSqlState())) {
                return ChatFailure.unavailable("temporarily-unavailable",
                        "chat-service could not complete this just now; try again in a moment");
            }
        }
        return null;
    }

    /** The connection to the database failed: what was sent on it may or may not have committed. */
    public static boolean connectionLost(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException d ? CONNECTION.contains(d.getSqlState())
                    : t instanceof ClosedConnectionException || t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }
}
