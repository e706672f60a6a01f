package io.commercechat.accounts.token.repository;

import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.token.BankToken;
import io.commercechat.accounts.token.service.TokenCipher.Sealed;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Encrypted bank tokens (table {@code bank_tokens}); plaintext never reaches this class. */
@ApplicationScoped
public class BankTokenRepository implements PanacheRepositoryBase<BankToken, UUID> {

    /** A token whose link ended and which the bank still has to invalidate. */
    public record PendingRevocation(UUID linkId, Sealed sealed, String reason, int attempts) {}

    /** Joins the caller's transaction (the link's activation). */
    public Uni<BankToken> insert(UUID linkId, Sealed sealed, Instant expiresAt, Instant now) {
        return persist(row(linkId, sealed, expiresAt, now));
    }

    /**
     * The token a bank issued for a link that will not be completed, which the bank could not be told about at once:
     * stored only as a revocation still to be confirmed, never usable (AccessEnding retries it, then deletes the row).
     */
    @WithTransaction
    public Uni<BankToken> insertForRevocation(UUID linkId, Sealed sealed, String reason, Instant now, Instant nextAttemptAt) {
        BankToken t = row(linkId, sealed, null, now);
        t.revokePending = true;
        t.revokeReason = LinkRepository.truncate(reason);
        t.revokeAttempts = 1;
        t.nextAttemptAt = nextAttemptAt;
        return persist(t);
    }

    private static BankToken row(UUID linkId, Sealed sealed, Instant expiresAt, Instant now) {
        BankToken t = new BankToken();
        t.linkId = linkId;
        t.keyId = sealed.keyId();
        t.nonce = sealed.nonce();
        t.ciphertext = sealed.ciphertext();
        t.expiresAt = expiresAt;
        t.createdAt = now;
        t.revokeReason = "";
        return t;
    }

    /** The usable token of a link (null once its link ended). */
    @WithSession
    public Uni<Sealed> usable(UUID linkId) {
        return find("linkId = ?1 and revokePending = false", linkId).firstResult()
                .map(t -> t == null ? null : new Sealed(t.keyId, t.nonce, t.ciphertext));
    }

    /**
     * Stops all use of the token at once; the bank is told afterwards (and until it confirmed). A token already
     * marked keeps the reason and the backoff of whoever ended its link first.
     */
    @WithTransaction
    public Uni<Integer> markForRevocation(UUID linkId, String reason, Instant firstRetryAt) {
        return update("revokePending = true, revokeReason = ?1, nextAttemptAt = ?2 where linkId = ?3 and revokePending = false",
                LinkRepository.truncate(reason), firstRetryAt, linkId);
    }

    /** The link's token if its revocation is still to be confirmed by the bank (null otherwise). */
    @WithSession
    public Uni<PendingRevocation> pending(UUID linkId) {
        return find("linkId = ?1 and revokePending = true", linkId).firstResult()
                .map(t -> t == null ? null : pendingRevocation(t));
    }

    /**
     * Claims up to {@code limit} due revocations for {@code lease}: rows are read with
     * {@code FOR UPDATE SKIP LOCKED}, so two replicas never work on the same row at the same time.
     */
    @WithTransaction
    public Uni<List<PendingRevocation>> claimDue(Instant now, Duration lease, int limit) {
        return getSession().chain(s -> s.createNativeQuery("SELECT * FROM bank_tokens WHERE revoke_pending "
                + "AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED", BankToken.class)
                .setParameter("now", now)
                .setParameter("limit", limit)
                .getResultList())
                .map(due -> due.stream().map(t -> {
                    t.nextAttemptAt = now.plus(lease); // flushed with the commit
                    return pendingRevocation(t);
                }).toList());
    }

    /**
     * Locks, for the caller's transaction, up to {@code limit} tokens sealed under {@code keyId}, in link-id order after
     * {@code after}. {@code SKIP LOCKED}: rows another replica (or a revocation) holds are left to it, and a row stays
     * locked until the caller's changes are committed.
     */
    public Uni<List<BankToken>> lockUnderKey(String keyId, UUID after, int limit) {
        return getSession().chain(s -> s.createNativeQuery("SELECT * FROM bank_tokens WHERE key_id = :key "
                + "AND link_id > :after ORDER BY link_id LIMIT :limit FOR UPDATE SKIP LOCKED", BankToken.class)
                .setParameter("key", keyId)
                .setParameter("after", after)
                .setParameter("limit", limit)
                .getResultList());
    }

    /** How many tokens each key id other than {@code activeKeyId} still seals (key ids in order). */
    @WithSession
    public Uni<Map<String, Long>> countUnderOtherKeys(String activeKeyId) {
        return getSession().chain(s -> s.createSelectionQuery(
                        "select keyId, count(*) from BankToken where keyId <> :active group by keyId", Object[].class)
                .setParameter("active", activeKeyId)
                .getResultList())
                .map(rows -> {
                    Map<String, Long> counts = new TreeMap<>();
                    rows.forEach(r -> counts.put((String) r[0], ((Number) r[1]).longValue()));
                    return counts;
                });
    }

    private static PendingRevocation pendingRevocation(BankToken t) {
        return new PendingRevocation(t.linkId, new Sealed(t.keyId, t.nonce, t.ciphertext), t.revokeReason, t.revokeAttempts);
    }

    /** Tokens still to be revoked at their bank after {@code failedAttempts} failed attempts or more (StuckWork). */
    @WithSession
    public Uni<Long> countFailedAtLeast(int failedAttempts) {
        return count("revokePending = true and revokeAttempts >= ?1", failedAttempts);
    }

    @WithTransaction
    public Uni<Integer> attemptFailed(UUID linkId, Instant nextAttemptAt) {
        return update("revokeAttempts = revokeAttempts + 1, nextAttemptAt = ?1 where linkId = ?2", nextAttemptAt, linkId);
    }

    @WithTransaction
    public Uni<Long> deleteToken(UUID linkId) {
        return delete("linkId", linkId);
    }
}
