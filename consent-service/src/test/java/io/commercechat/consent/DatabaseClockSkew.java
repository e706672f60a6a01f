package io.commercechat.consent;

import java.sql.SQLException;
import java.time.Duration;

/**
 * Moves the test database's clock away from the JVM's, as a replica's clock may be off the database's. PostgreSQL
 * cannot move its own clock, so under the {@link SweepOnDemand} profile the service's sessions search schema db_clock
 * before pg_catalog: now() and clock_timestamp() called by name there are db_clock's, PostgreSQL's plus
 * {@code db_clock.skew}. The tests' own connections (ConsentTestSupport.database) keep PostgreSQL's and say
 * {@link #NOW} when they mean the moved clock. current_timestamp and the like are not moved; the service does not use
 * them.
 */
final class DatabaseClockSkew {

    static final String SCHEMA = "db_clock";
    /** The database's clock as the service reads it, for the tests' SQL. */
    static final String NOW = SCHEMA + ".now()";

    private DatabaseClockSkew() {}

    /**
     * Installs the moved clock (once per database) and sets it back to PostgreSQL's. Must run before the service reads
     * its clock for the first time, so that no statement of its was planned with pg_catalog's functions: each test class
     * of the profile calls it before each test.
     */
    static void reset() throws SQLException {
        try (var c = ConsentTestSupport.database(); var s = c.createStatement()) {
            boolean installed;
            try (var rs = s.executeQuery("select exists (select 1 from pg_namespace where nspname = '" + SCHEMA + "')")) {
                installed = rs.next() && rs.getBoolean(1);
            }
            if (!installed) {
                s.execute("create schema " + SCHEMA);
                s.execute("create table " + SCHEMA + ".skew (ahead interval not null)");
                s.execute("insert into " + SCHEMA + ".skew values (interval '0')");
                s.execute("create function " + SCHEMA + ".now() returns timestamptz language sql stable"
                        + " as 'select pg_catalog.now() + (select ahead from " + SCHEMA + ".skew)'");
                s.execute("create function " + SCHEMA + ".clock_timestamp() returns timestamptz language sql volatile"
                        + " as 'select pg_catalog.clock_timestamp() + (select ahead from " + SCHEMA + ".skew)'");
            }
        }
        setAhead(Duration.ZERO);
    }

    /** From now on the database's clock reads {@code by} later than PostgreSQL's (earlier when negative). */
    static void setAhead(Duration by) throws SQLException {
        try (var c = ConsentTestSupport.database();
                var ps = c.prepareStatement("update " + SCHEMA + ".skew set ahead = make_interval(secs => ?)")) {
            ps.setDouble(1, by.toMillis() / 1000.0);
            if (ps.executeUpdate() != 1) {
                throw new AssertionError("db_clock.skew has no row");
            }
        }
    }
}
