package io.commercechat.chat.consent.repository;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * This service's position in consent-service's event log with its lease (one replica follows the
 * stream at a time), and the authorised consents whose expiry the assistant watches.
 */
@ApplicationScoped
public class ConsentWatchRepository {

    private static final String CURSOR = "consent-events";
    /** consent_id's length in consent_expiries, card_consents and messages.source_consent_id. */
    private static final int MAX_CONSENT_ID = 64;
    /** person_sub's and bank_id's lengths in consent_expiries (the same as conversations.person_sub and a bank's id). */
    private static final int MAX_PERSON_SUB = 255;
    private static final int MAX_BANK_ID = 64;

    /** A consent whose renewal is due. */
    public record Due(String consentId, String personSub, String bankId, Instant expiresAt) {}

    /**
     * Takes the lease when free or run out, or extends it when {@code holder} has it; returns the
     * stored position, or null when another replica holds the lease.
     */
    public Uni<Long> acquire(String holder, Duration lease) {
        return Panache.getSession().chain(s -> s.createNativeQuery("UPDATE consent_event_cursor"
                        + " SET holder = :holder, lease_until = now() + make_interval(secs => :secs)"
                        + " WHERE name = :name AND (holder = :holder OR lease_until < now()) RETURNING position", Long.class)
                .setParameter("holder", holder).setParameter("secs", (double) lease.toSeconds())
                .setParameter("name", CURSOR).getResultList())
                .map(rows -> rows.isEmpty() ? null : rows.get(0));
    }

    /** The stored position, locked until commit, while {@code holder} has the lease; null when it lost it. */
    public Uni<Long> lockPosition(String holder) {
        return Panache.getSession().chain(s -> s.createNativeQuery("SELECT position FROM consent_event_cursor"
                        + " WHERE name = :name AND holder = :holder AND lease_until > now() FOR UPDATE", Long.class)
                .setParameter("name", CURSOR).setParameter("holder", holder).getResultList())
                .map(rows -> rows.isEmpty() ? null : rows.get(0));
    }

    public Uni<Integer> advance(long position) {
        return Panache.getSession().chain(s -> s.createNativeQuery(
                        "UPDATE consent_event_cursor SET position = :p WHERE name = :name")
                .setParameter("p", position).setParameter("name", CURSOR).executeUpdate());
    }

    public Uni<Integer> release(String holder) {
        return Panache.getSession().chain(s -> s.createNativeQuery("UPDATE consent_event_cursor SET holder = NULL,"
                        + " lease_until = '-infinity' WHERE name = :name AND holder = :holder")
                .setParameter("name", CURSOR).setParameter("holder", holder).executeUpdate());
    }

    /**
     * Remembers an authorised consent's expiry for the renewal offer; 0 when it was known already, or when its ids are
     * longer than any this service stores. consent-service's own columns keep them shorter; if one ever were not, the
     * insert would fail and the event stream would stop at that event for good, holding back every later revocation.
     */
    public Uni<Integer> authorised(String consentId, String personSub, String bankId, Instant expiresAt) {
        if (consentId.length() > MAX_CONSENT_ID || personSub.length() > MAX_PERSON_SUB || bankId.length() > MAX_BANK_ID) {
            return Uni.createFrom().item(0);  // no conversation or card can name it, so there is nothing to offer
        }
        return Panache.getSession().chain(s -> s.createNativeQuery("INSERT INTO consent_expiries (consent_id, person_sub,"
                        + " bank_id, expires_at) VALUES (:id, :sub, :bank, :expires) ON CONFLICT (consent_id) DO NOTHING")
                .setParameter("id", consentId).setParameter("sub", personSub).setParameter("bank", bankId)
                .setParameter("expires", expiresAt).executeUpdate());
    }

    /**
     * Marks a consent ended: no renewal offer, and from this transaction's commit on no account card of it can be
     * written (send_message_batch() refuses it, V11). Waits for a card being written under it to commit first.
     * Two statements in this order: the card_consents row is taken last, so this never holds it while it waits for
     * the consent_expiries row (which a renewal offer holds while its message waits for a conversation that a
     * batch with a card of this consent holds).
     */
    public Uni<Void> ended(String consentId) {
        if (consentId.length() > MAX_CONSENT_ID) {
            return Uni.createFrom().voidItem();  // not an id this service stores: no card and no expiry name it
        }
        return Panache.getSession().chain(s -> s.createNativeQuery(
                        "UPDATE consent_expiries SET ended = true WHERE consent_id = :id").setParameter("id", consentId).executeUpdate()
                .chain(() -> s.createNativeQuery("INSERT INTO card_consents (consent_id, ended) VALUES (:id, true)"
                        + " ON CONFLICT (consent_id) DO UPDATE SET ended = true").setParameter("id", consentId).executeUpdate()))
                .replaceWithVoid();
    }

    /**
     * Whether the consent's cards may no longer be shown: {@link #ended} has committed for it. Locks its row until
     * commit, taken after the conversation's as send_message_batch() takes it, so the end cannot commit in between: a
     * card shared first is found by the redaction that follows the end, and one shared after it is refused.
     */
    public Uni<Boolean> cardsEnded(String consentId) {
        if (consentId == null) {
            return Uni.createFrom().item(false);  // not a card of any consent
        }
        return Panache.getSession().chain(s -> s.createNativeQuery(
                        "SELECT ended FROM card_consents WHERE consent_id = :id FOR SHARE", Boolean.class)
                .setParameter("id", consentId).getResultList())
                .map(rows -> !rows.isEmpty() && rows.get(0));
    }

    /**
     * Claims consents whose renewal offer is due (marks them offered in this transaction; rows
     * another replica is claiming are skipped), so each offer is made once. A consent is passed over while the same
     * person has another with the same bank that lasts longer and has not ended (they linked the bank again): only the
     * end of the last one needs an offer.
     */
    public Uni<List<Due>> claimDue(Duration noticeBefore, int limit) {
        return Panache.getSession().chain(s -> s.createNativeQuery("UPDATE consent_expiries SET offered_at = now()"
                        + " WHERE consent_id IN (SELECT e.consent_id FROM consent_expiries e WHERE e.offered_at IS NULL AND NOT e.ended"
                        + " AND e.expires_at > now() AND e.expires_at <= now() + make_interval(secs => :secs)"
                        + " AND NOT EXISTS (SELECT 1 FROM consent_expiries later WHERE later.person_sub = e.person_sub"
                        + " AND later.bank_id = e.bank_id AND NOT later.ended"
                        + " AND (later.expires_at, later.consent_id) > (e.expires_at, e.consent_id))"
                        + " ORDER BY e.expires_at LIMIT :limit FOR UPDATE OF e SKIP LOCKED)"
                        + " RETURNING consent_id, person_sub, bank_id, floor(extract(epoch from expires_at))::bigint", Object[].class)
                .setParameter("secs", (double) noticeBefore.toSeconds()).setParameter("limit", limit).getResultList())
                .map(rows -> rows.stream().map(r -> new Due((String) r[0], (String) r[1], (String) r[2],
                        Instant.ofEpochSecond(((Number) r[3]).longValue()))).toList());
    }
}
