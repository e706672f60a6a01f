package io.commercechat.consent.clock;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * PostgreSQL's clock: the one clock by which every replica decides whether a consent has expired or lapsed, and
 * stamps what it records (consent-service/README.md, "One clock"). The replicas' own clocks may be seconds apart; the
 * database's is the same for all of them.
 */
@ApplicationScoped
public class DatabaseClock {

    /**
     * clock_timestamp() (the moment the statement reads it, not its transaction's start) in µs since the epoch, as
     * PostgreSQL keeps timestamps; exact, as extract returns numeric.
     */
    public static final String NOW_MICROS = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";

    /** The database's time now, read in the caller's session (and transaction). */
    public Uni<Instant> now() {
        return Panache.getSession().chain(s -> s.createNativeQuery("select " + NOW_MICROS, Long.class).getSingleResult())
                .map(DatabaseClock::ofMicros);
    }

    public static Instant ofMicros(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }
}
