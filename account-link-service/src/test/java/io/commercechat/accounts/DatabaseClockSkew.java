package io.commercechat.accounts;

import java.time.Duration;

/**
 * Moves the service's database clock away from the JVM's, as a replica's clock may be off the database's, under
 * {@link DatabaseClockProfile}: its db_clock.now() and db_clock.clock_timestamp() are PostgreSQL's plus db_clock.skew.
 * The tests' SQL says {@link #NOW} when it means the moved clock.
 */
final class DatabaseClockSkew {

    static final String SCHEMA = "db_clock";
    /** The database's clock as the service reads it, for the tests' SQL. */
    static final String NOW = SCHEMA + ".now()";

    private DatabaseClockSkew() {}

    /** From now on the service's database clock reads {@code by} later than PostgreSQL's (earlier when negative). */
    static void setAhead(Duration by) throws Exception {
        try (var c = MeshTestSupport.ownDb();
                var ps = c.prepareStatement("UPDATE " + SCHEMA + ".skew SET ahead = make_interval(secs => ?)")) {
            ps.setDouble(1, by.toMillis() / 1000.0);
            if (ps.executeUpdate() != 1) {
                throw new AssertionError("db_clock.skew has no row");
            }
        }
    }
}
