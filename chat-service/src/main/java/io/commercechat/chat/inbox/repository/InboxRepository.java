package io.commercechat.chat.inbox.repository;

import io.commercechat.chat.inbox.InboxEntry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Inbox storage. Appends run in the caller's Hibernate Reactive transaction; the event gets its
 * position, and NOTIFY goes out, while that transaction commits (see V3__inbox_positions_at_commit.sql). Reads go straight
 * to the reactive pool, so streams can poll from any thread without a Hibernate session.
 */
@ApplicationScoped
public class InboxRepository {

    private final Pool pool;

    public InboxRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Must run inside a transaction. A plain INSERT (executeUpdate, no result mapping): native
     * selects with a result type miss Hibernate's query interpretation cache and pile up in it.
     */
    public Uni<Void> append(String participant, String kind, String payload) {
        return Panache.getSession().chain(s -> s
                .createNativeQuery("INSERT INTO inbox_events (participant, kind, occurred_at, payload)"
                        + " VALUES (:participant, :kind, clock_timestamp(), :payload)")
                .setParameter("participant", participant)
                .setParameter("kind", kind)
                .setParameter("payload", payload)
                .executeUpdate())
                .replaceWithVoid();
    }

    /** Committed events with position > after, in order. */
    public Uni<List<InboxEntry>> after(String participant, long after, int limit) {
        return pool.preparedQuery("SELECT position, kind, occurred_at, payload FROM inbox_events"
                        + " WHERE participant = $1 AND position > $2 ORDER BY position LIMIT $3")
                .execute(Tuple.of(participant, after, limit))
                .map(rows -> {
                    List<InboxEntry> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(new InboxEntry(r.getLong("position"), r.getString("kind"),
                                r.getOffsetDateTime("occurred_at").toInstant(), r.getString("payload")));
                    }
                    return out;
                });
    }

    public Uni<Long> head(String participant) {
        return pool.preparedQuery("SELECT last_position FROM inbox_heads WHERE participant = $1")
                .execute(Tuple.of(participant))
                .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
    }

}
