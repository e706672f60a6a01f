package io.commercechat.db;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Set;

/**
 * Failures of the database that pass: a lost connection, a failover, a lock held too long, a deadlock, or every pooled
 * connection busy for longer than {@link BoundedPool} lets a caller wait. The caller should try again, so every edge
 * answers them as unavailable (503 with Retry-After, gRPC UNAVAILABLE), not as a server error; every service's writes
 * are one transaction each, and the writes callers repeat are idempotent. Found anywhere in the cause chain, since
 * Hibernate Reactive and Mutiny wrap them.
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

    /**
     * What the Vert.x pool fails a caller with when its connection timeout runs out: a connection asked for (as
     * Hibernate Reactive asks) or a statement run on the pool (BoundedPoolTest pins both).
     */
    private static final String CONNECTION_TIMEOUT = "Timeout";
    private static final String STATEMENT_TIMEOUT = "Timeout waiting for connection";

    private DatabaseOutages() {}

    /** Whether {@code failure} is a passing database outage: the same request may succeed in a moment. */
    public static boolean passing(Throwable failure) {
        return connectionLost(failure) || refusedForNow(failure) || poolBusy(failure);
    }

    /**
     * The connection to the database failed, or none could be made (refused, no route, the name did not resolve): what
     * was sent on a failed one may or may not have committed.
     */
    public static boolean connectionLost(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (CONNECTION.contains(sqlState(t)) || t instanceof ClosedConnectionException || t instanceof ConnectException
                    || t instanceof UnknownHostException || t instanceof NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    /** The database refused a statement for now and rolled it back: nothing was written. */
    public static boolean refusedForNow(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (REFUSED_FOR_NOW.contains(sqlState(t))) {
                return true;
            }
        }
        return false;
    }

    /** No pooled connection could be had (the wait queue full, or the wait too long): nothing reached the database. */
    public static boolean poolBusy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectionPoolTooBusyException
                    || t instanceof NoStackTraceThrowable && CONNECTION_TIMEOUT.equals(t.getMessage())
                    || t instanceof VertxException && STATEMENT_TIMEOUT.equals(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    /** The SQLSTATE the driver reported, whether Hibernate has turned it into a JDBC exception or not; "" for none. */
    private static String sqlState(Throwable t) {
        String state = t instanceof DatabaseException d ? d.getSqlState() : t instanceof SQLException s ? s.getSQLState() : null;
        return state == null ? "" : state;
    }
}
