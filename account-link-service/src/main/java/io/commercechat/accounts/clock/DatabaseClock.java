package io.commercechat.accounts.clock;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * PostgreSQL's clock: the one clock by which every replica decides whether a link (or its authorisation) has expired,
 * and stamps the times such decisions compare with (README, "One clock"). Replicas' own clocks may be seconds apart; the
 * database's is the same for all of them. consent-service decides a consent's validity the same way.
 */
@ApplicationScoped
public class DatabaseClock {

    /** clock_timestamp() (when the statement reads it, not its transaction's start) in µs, as PostgreSQL keeps time. */
    private static final String NOW_MICROS = "select (extract(epoch from clock_timestamp()) * 1000000)::bigint";

    /** The database's time now, read in the caller's session (and transaction) when there is one. */
    @WithSession
    public Uni<Instant> now() {
        return Panache.getSession().chain(s -> s.createNativeQuery(NOW_MICROS, Long.class).getSingleResult())
                .map(micros -> Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
    }
}
