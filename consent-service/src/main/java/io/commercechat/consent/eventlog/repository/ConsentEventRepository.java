package io.commercechat.consent.eventlog.repository;

import io.commercechat.consent.clock.DatabaseClock;
import io.commercechat.consent.eventlog.ConsentEventEntry;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class ConsentEventRepository implements PanacheRepositoryBase<ConsentEventEntry, UUID> {

    /**
     * Serializes appends to the log for the rest of the transaction, so the hash chain never forks and positions
     * commit in order. Only {@link io.commercechat.consent.eventlog.service.ConsentEventLog#append} takes it, after the
     * consent's row is locked: a change never waits for a row while holding every other change up. Returns the
     * database's time once the lock is held ({@link DatabaseClock}): events stamped with it are in time order as they are
     * in position order, whichever replica appended them.
     */
    public Uni<Instant> lockLog() {
        return getSession().chain(s -> s.createNativeQuery("select " + DatabaseClock.NOW_MICROS
                        + " from pg_advisory_xact_lock(7231001)", Long.class).getSingleResult())
                .map(DatabaseClock::ofMicros);
    }

    public Uni<String> lastHash() {
        return find("order by position desc").firstResult().map(e -> e == null ? null : e.hash);
    }

    public Uni<List<ConsentEventEntry>> after(long position, int limit) {
        return find("position > ?1 order by position", position).range(0, limit - 1).list();
    }
}
