package io.commercechat.chat.inbox.repository;

import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.message.repository.MessageRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Inbox storage. Appends run in the caller's Hibernate Reactive transaction (message sends append
 * theirs inside send_message_batch(), see V8__send_batch_set_based.sql); the event gets its
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
        return append(participant, kind, payload, null);
    }

    /** A message event: it names the message, which streams render as it is when they read it. */
    public Uni<Void> appendMessage(String participant, UUID messageId) {
        return append(participant, InboxEntry.MESSAGE, null, messageId);
    }

    private Uni<Void> append(String participant, String kind, String payload, UUID messageId) {
        return Panache.getSession().chain(s -> s
                .createNativeQuery("INSERT INTO inbox_events (participant, kind, occurred_at, payload, message_id)"
                        + " VALUES (:participant, :kind, clock_timestamp(), :payload, :message)")
                .setParameter("participant", participant)
                .setParameter("kind", kind)
                .setParameter("payload", payload)
                .setParameter("message", messageId)
                .executeUpdate())
                .replaceWithVoid();
    }

    /** Committed events with position > after, in order; message events with their message as it is now (V6). */
    public Uni<List<InboxEntry>> after(String participant, long after, int limit) {
        // inbox_read() (V6) keeps to the keys whatever the tables' size was when its plan was made
        return pool.preparedQuery("SELECT * FROM inbox_read($1, $2, $3)")
                .execute(Tuple.of(participant, after, limit))
                .map(rows -> {
                    List<InboxEntry> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(new InboxEntry(r.getLong("event_position"), r.getString("event_kind"),
                                r.getOffsetDateTime("occurred_at").toInstant(), r.getString("payload"), MessageRepository.fromRow(r)));
                    }
                    return out;
                });
    }

    /**
     * Deletes up to {@code limit} typing events that committed more than {@code kept} ago; returns how many. Rows
     * another replica's sweep holds are skipped. A simple query, planned for its values on every call, so that it
     * keeps to the partial index however small inbox_events was when a prepared plan would have been made.
     */
    public Uni<Integer> deleteTypingOlderThan(Duration kept, int limit) {
        return pool.query("DELETE FROM inbox_events WHERE id IN (SELECT id FROM inbox_events WHERE kind = '"
                        + InboxEntry.TYPING + "' AND occurred_at < now() - interval '" + kept.toMillis() + " milliseconds'"
                        + " LIMIT " + limit + " FOR UPDATE SKIP LOCKED)")
                .execute()
                .map(rows -> rows.rowCount());
    }

    public Uni<Long> head(String participant) {
        return pool.preparedQuery("SELECT last_position FROM inbox_heads WHERE participant = $1")
                .execute(Tuple.of(participant))
                .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
    }

}
