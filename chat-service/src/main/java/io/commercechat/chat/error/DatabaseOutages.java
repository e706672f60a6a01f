package io.commercechat.chat.error;

import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.util.Set;

/**
 * Failures of the database that pass (a lost connection, a failover, a lock or statement timeout, a
 * deadlock): the caller should try again, so both edges answer them as unavailable (503 with
 * Retry-After, gRPC UNAVAILABLE) instead of as a server error. Every write here is one transaction
 * and every send is idempotent by its client message id, so trying again is always safe.
 */
public final class DatabaseOutages {

    /** SQLSTATEs that say "not now" rather than "never" (PostgreSQL's appendix A). */
    private static final Set<String> PASSING = Set.of(
            "40001",  // serialization_failure
            "40P01",  // deadlock_detected
            "55P03",  // lock_not_available (lock_timeout)
            "57014",  // query_canceled (statement_timeout)
            "57P01", "57P02", "57P03",  // admin_shutdown, crash_shutdown, cannot_connect_now
            "25006");  // read_only_sql_transaction: a failover has not reached this connection yet

    private DatabaseOutages() {}

    /** The unavailable failure to answer with, or null when {@code failure} is not a passing database outage. */
    public static ChatFailure asUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (passing(t)) {
                return ChatFailure.unavailable("temporarily-unavailable",
                        "chat-service could not reach its database just now; nothing was lost, try again in a moment");
            }
        }
        return null;
    }

    private static boolean passing(Throwable t) {
        if (t instanceof DatabaseException d) {
            String state = d.getSqlState();
            return state != null && (state.startsWith("08") || state.startsWith("53") || PASSING.contains(state));
        }
        return t instanceof ClosedConnectionException || t instanceof ConnectException;
    }
}
