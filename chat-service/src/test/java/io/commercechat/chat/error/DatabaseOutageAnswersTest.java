package io.commercechat.chat.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.chat.grpc.GrpcErrors;
import io.commercechat.chat.rest.ProblemMappers;
import io.grpc.Status;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * A passing database outage (db-support's DatabaseOutages) is "try again" on both edges (503, UNAVAILABLE); a database
 * refusal stays a server error.
 */
class DatabaseOutageAnswersTest {

    private final ProblemMappers rest = new ProblemMappers();

    @Test
    void passingOutagesAreUnavailableWhereverTheyAreWrapped() {
        // one of each kind (db-support's DatabaseOutagesTest has the full list): refused for now, lost, pool busy
        for (Throwable outage : new Throwable[] {
                pg("55P03"),  // lock_timeout
                ClosedConnectionException.INSTANCE,
                new ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 1000")}) {
            Throwable wrapped = new CompletionException(new IllegalStateException("session failed", outage));
            Response answer = rest.unexpected(wrapped);
            assertEquals(503, answer.getStatus(), outage.toString());
            assertEquals("30", answer.getHeaderString("Retry-After"));
            assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(GrpcErrors.toStatus(wrapped)).getCode());
        }
    }

    @Test
    void otherDatabaseFailuresAreServerErrors() {
        for (String state : new String[] {"23505", "42P01", "22001", "08P01"}) {  // unique_violation, undefined_table, string_data_right_truncation, protocol_violation
            assertEquals(500, rest.unexpected(pg(state)).getStatus(), state);
            assertEquals(Status.Code.INTERNAL, Status.fromThrowable(GrpcErrors.toStatus(pg(state))).getCode(), state);
        }
    }

    private static PgException pg(String sqlState) {
        return new PgException("failed", "ERROR", sqlState, null);
    }
}
