package io.commercechat.chat.message.repository;

import io.commercechat.chat.conversation.Conversation;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.message.ChatMessage;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

@ApplicationScoped
public class MessageRepository implements PanacheRepositoryBase<ChatMessage, UUID> {

    private final Pool pool;

    public MessageRepository(Pool pool) {
        this.pool = pool;
    }

    /** A messages row (columns by name, as send_message_batch() and the inbox read return them); null when id is null. */
    public static ChatMessage fromRow(Row r) {
        if (r.getUUID("id") == null) {
            return null;
        }
        ChatMessage m = new ChatMessage();
        m.id = r.getUUID("id");
        m.conversationId = r.getUUID("conversation_id");
        m.seq = r.getLong("seq");
        m.sender = ChatMessage.Sender.valueOf(r.getString("sender"));
        m.clientMessageId = r.getString("client_message_id");
        m.kind = r.getString("kind");
        m.content = r.getString("content");
        m.visibility = ChatMessage.Visibility.valueOf(r.getString("visibility"));
        m.updateTag = r.getString("update_tag");
        m.sentAt = r.getOffsetDateTime("sent_at").toInstant();
        m.sourceConsentId = r.getString("source_consent_id");
        return m;
    }

    /**
     * One page of history as the party sees it (a business never sees person-only messages).
     * before > 0: seq < before, newest first; after >= 0 (and before = 0): seq > after, oldest first; neither: the
     * newest page, newest first.
     */
    public Uni<List<ChatMessage>> page(Party party, UUID conversationId, long before, long after, int limit) {
        StringBuilder q = new StringBuilder("conversationId = :c");
        Parameters p = Parameters.with("c", conversationId);
        if (!party.isPerson()) {
            q.append(" and visibility = :everyone");
            p.and("everyone", ChatMessage.Visibility.EVERYONE);
        }
        if (before > 0) {
            q.append(" and seq < :before order by seq desc");
            p.and("before", before);
        } else if (after >= 0) {
            q.append(" and seq > :after order by seq asc");
            p.and("after", after);
        } else {
            q.append(" order by seq desc");
        }
        return find(q.toString(), p).range(0, limit - 1).list();
    }

    /**
     * Messages from the other side after this party's read watermark, per conversation, at most
     * {@link Conversation#UNREAD_SHOWN_AT_MOST}; a conversation without any is left out. Committed rows only: a prepared query on
     * the reactive pool (a result-typed native query missed Hibernate's interpretation cache on every list page and
     * piled up in it), so call it after the caller's session has given its connection back.
     */
    public Uni<Map<UUID, Long>> unreadCounts(Party party, List<Conversation> shown) {
        if (shown.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        // counted between the watermark and the last seq as the caller read them, so that the count agrees with the
        // rest of its answer (read on another connection, a moment before)
        String visible = party.isPerson() ? "" : " AND m.visibility = 'EVERYONE'";
        String sql = "SELECT v.id, (SELECT count(*) FROM (SELECT 1 FROM messages m WHERE m.conversation_id = v.id"
                + " AND m.seq > v.read_seq AND m.seq <= v.last_seq" + visible + " AND m.sender <> $1 LIMIT "
                + Conversation.UNREAD_SHOWN_AT_MOST + ") capped) AS unread"
                + " FROM unnest($2::uuid[], $3::bigint[], $4::bigint[]) AS v(id, read_seq, last_seq)";
        UUID[] ids = new UUID[shown.size()];
        Long[] readSeqs = new Long[shown.size()];
        Long[] lastSeqs = new Long[shown.size()];
        for (int i = 0; i < shown.size(); i++) {
            Conversation c = shown.get(i);
            ids[i] = c.id;
            readSeqs[i] = party.isPerson() ? c.personReadSeq : c.businessReadSeq;
            lastSeqs[i] = c.lastSeq;
        }
        return pool.preparedQuery(sql).execute(Tuple.of(party.sender().name(), ids, readSeqs, lastSeqs))
                .map(rows -> {
                    Map<UUID, Long> counts = new HashMap<>();
                    for (Row r : rows) {
                        long n = r.getLong("unread");
                        if (n > 0) {
                            counts.put(r.getUUID("id"), n);
                        }
                    }
                    return counts;
                });
    }

    /** The newest message of each conversation (person view: the list preview). */
    public Uni<List<ChatMessage>> latest(Collection<UUID> conversationIds) {
        if (conversationIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return list("from ChatMessage m where m.conversationId in ?1 and m.seq ="
                + " (select c.lastSeq from Conversation c where c.id = m.conversationId)", conversationIds);
    }

    /** The message's visibility as committed now (a query, not the copy this session holds). */
    public Uni<ChatMessage.Visibility> visibilityOf(UUID id) {
        return getSession().chain(s -> s.createSelectionQuery("select m.visibility from ChatMessage m where m.id = :id",
                ChatMessage.Visibility.class).setParameter("id", id).getSingleResult());
    }

    /** Whether the conversation holds a message of this sender under this client message id (its unique key). */
    public Uni<Boolean> exists(UUID conversationId, ChatMessage.Sender sender, String clientMessageId) {
        return count("conversationId = ?1 and sender = ?2 and clientMessageId = ?3", conversationId, sender, clientMessageId)
                .map(n -> n > 0);
    }

    /**
     * Up to {@code limit} messages that still show a consent (not yet replaced by a notice), by conversation and seq:
     * the account cards read under it and its renewal offer.
     */
    public Uni<List<ChatMessage>> showingConsent(String consentId, int limit) {
        return find("sourceConsentId = ?1 and kind <> 'NOTICE' order by conversationId, seq", consentId)
                .range(0, limit - 1).list();
    }
}
