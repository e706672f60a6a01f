package io.commercechat.chat.conversation.repository;

import io.commercechat.chat.conversation.Conversation;
import io.commercechat.chat.conversation.Party;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class ConversationRepository implements PanacheRepositoryBase<Conversation, UUID> {

    /**
     * Inserts the conversation unless the pair already has one; true when this call created it. Any key's
     * conflict means "already there": with a named key, two opens of one pair at once failed on the other
     * one, (business, person ref), which is derived from the same pair.
     */
    public Uni<Boolean> insertIfAbsent(UUID id, String sub, String businessId, String personRef, String displayName,
            Instant now) {
        return getSession().chain(s -> s.createNativeQuery(
                        "INSERT INTO conversations (id, person_sub, business_id, person_ref, person_display_name,"
                                + " activity_seq, created_at) VALUES (:id, :sub, :business, :ref, :name,"
                                + " nextval('conversation_activity_seq'), :now)"
                                + " ON CONFLICT DO NOTHING")
                .setParameter("id", id).setParameter("sub", sub).setParameter("business", businessId)
                .setParameter("ref", personRef).setParameter("name", displayName).setParameter("now", now)
                .executeUpdate())
                .map(n -> n == 1);
    }

    public Uni<Conversation> findPair(String sub, String businessId) {
        return find("personSub = ?1 and businessId = ?2", sub, businessId).firstResult();
    }

    /** The conversation if this party may see it, else null. */
    public Uni<Conversation> findFor(Party party, UUID id) {
        return findById(id).map(c -> party.owns(c) ? c : null);
    }

    /** Locks the row until commit: sends, reads and blocks of one conversation are serialized. */
    public Uni<Conversation> lockFor(Party party, UUID id) {
        return findById(id, LockModeType.PESSIMISTIC_WRITE).map(c -> party.owns(c) ? c : null);
    }

    /** What {@link #announceTyping} did. */
    public enum Announced { WRITTEN, UNCHANGED, BLOCKED }

    /**
     * Records the party's typing indicator as announced to the other side, unless that would change nothing it sees:
     * {@code until} set ("typing") only when none is shown or less is left than up to {@code repeatFrom}; null
     * ("stopped") only while one is shown at {@code now}. Never while the business is blocked: a block that commits
     * while this waits for the row is seen by the update, which the caller's earlier read was not.
     */
    public Uni<Announced> announceTyping(Party party, UUID id, Instant until, Instant now, Instant repeatFrom) {
        String column = party.isPerson() ? "person_typing_until" : "business_typing_until";
        String sql = until != null
                ? "UPDATE conversations SET " + column + " = :until WHERE id = :id AND NOT blocked AND (" + column
                        + " IS NULL OR " + column + " <= :repeatFrom)"
                : "UPDATE conversations SET " + column + " = NULL WHERE id = :id AND NOT blocked AND " + column + " > :now";
        return getSession().chain(s -> {
            var update = s.createNativeQuery(sql).setParameter("id", id);
            if (until != null) {
                update.setParameter("until", until).setParameter("repeatFrom", repeatFrom);
            } else {
                update.setParameter("now", now);
            }
            return update.executeUpdate().chain(n -> n == 1 ? Uni.createFrom().item(Announced.WRITTEN)
                    // a person's "stopped" is answered alike either way: no second read for it
                    : party.isPerson() && until == null ? Uni.createFrom().item(Announced.UNCHANGED)
                    // a statement of its own sees the block the update waited for (the session's copy does not): a scalar
                    // projection is read from the database, and HQL, unlike a native select, is interpreted once
                    : s.createSelectionQuery("select c.blocked from Conversation c where c.id = :id", Boolean.class)
                            .setParameter("id", id).getSingleResult()
                            .map(blocked -> blocked ? Announced.BLOCKED : Announced.UNCHANGED));
        });
    }

    /** Most recently active first, strictly before the cursor. */
    public Uni<List<Conversation>> page(Party party, long beforeActivity, int limit) {
        String owner = party.isPerson() ? "personSub" : "businessId";
        return find(owner + " = ?1 and activitySeq < ?2 order by activitySeq desc", party.id(), beforeActivity)
                .range(0, limit - 1).list();
    }
}
