package io.commercechat.accounts.link.repository;

import io.commercechat.accounts.link.Link;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.smallrye.mutiny.Uni;
import org.hibernate.exception.ConstraintViolationException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Links (table {@code links}). Every method is its own short unit of work: an RPC interleaves
 * them with remote calls (consent-service, the bank) and never holds a transaction across one.
 */
@ApplicationScoped
public class LinkRepository implements PanacheRepositoryBase<Link, UUID> {

    @WithTransaction
    public Uni<Link> insert(Link link) {
        return persist(link);
    }

    @WithSession
    public Uni<Link> find(UUID id) {
        return findById(id);
    }

    @WithSession
    public Uni<Link> findByConsent(UUID consentId) {
        return find("consentId", consentId).firstResult();
    }

    @WithSession
    public Uni<Link> findByBankLink(String bankId, String bankLinkId) {
        return find("bankId = ?1 and bankLinkId = ?2", bankId, bankLinkId).firstResult();
    }

    @WithSession
    public Uni<Link> findByStateHash(String stateHash) {
        return find("stateHash", stateHash).firstResult();
    }

    /**
     * Uses the one-time state atomically: only the first caller gets the link (null for everyone else). The claim keeps
     * when it happened and the hash of the completion's code (null without one), so that a retry is recognised.
     */
    @WithTransaction
    public Uni<Link> claimState(String stateHash, String userId, String completionCodeHash, Instant now) {
        return update("stateUsed = true, claimedAt = ?1, completionCodeHash = ?2, updatedAt = ?1 where stateHash = ?3"
                + " and userId = ?4 and stateUsed = false and status = ?5",
                now, completionCodeHash, stateHash, userId, LinkStatus.LINK_STATUS_PENDING)
                .chain(claimed -> claimed == 1 ? find("stateHash", stateHash).firstResult() : Uni.createFrom().nullItem());
    }

    /**
     * Fails up to {@code limit} links claimed by a completion before {@code claimedBefore} and still PENDING, with their
     * consent's end due now (FailedLinkConsents ends it), as LinkFlow fails a link. Rows are read {@code FOR UPDATE SKIP
     * LOCKED} and written at commit: replicas sweep different links, and a link whose activation holds its row right
     * now is skipped (the activation's own guard, status PENDING, then finds it FAILED if the sweep came first).
     */
    @WithTransaction
    public Uni<List<Link>> failAbandonedCompletions(Instant claimedBefore, String reason, Instant now, int limit) {
        // a claim made before V5, or by a replica still on the previous version, has no claimed_at: its updated_at
        // is the claim's time (nothing else writes a claimed PENDING link); links_pending_idx (V7) finds the PENDING ones
        return getSession().chain(s -> s.createNativeQuery("SELECT * FROM links WHERE status = :pending AND state_used"
                + " AND coalesce(claimed_at, updated_at) <= :claimedBefore ORDER BY updated_at LIMIT :limit"
                + " FOR UPDATE SKIP LOCKED", Link.class)
                .setParameter("pending", LinkStatus.LINK_STATUS_PENDING.name())
                .setParameter("claimedBefore", claimedBefore)
                .setParameter("limit", limit)
                .getResultList())
                .invoke(abandoned -> abandoned.forEach(l -> {  // flushed with the commit
                    l.status = LinkStatus.LINK_STATUS_FAILED;
                    l.statusReason = truncate(reason);
                    l.updatedAt = now;
                    l.consentEndDueAt = now;
                    l.codeVerifier = null;
                }));
    }

    /** Newest first, before a list_seq. */
    @WithSession
    public Uni<List<Link>> page(String userId, long beforeSeq, int limit) {
        return find("userId = ?1 and listSeq < ?2 order by listSeq desc", userId, beforeSeq).range(0, limit - 1).list();
    }

    @WithSession
    public Uni<List<Link>> active(String userId) {
        return find("userId = ?1 and status = ?2 order by listSeq desc", userId, LinkStatus.LINK_STATUS_ACTIVE)
                .range(0, 199).list();
    }

    /**
     * The person's ACTIVE links to a bank other than {@code except}: those the link {@code except} replaces as it becomes
     * ACTIVE (LinkReplacement). Joins the caller's transaction, the activation's.
     */
    public Uni<List<Link>> activeWithBank(String userId, String bankId, UUID except) {
        return find("userId = ?1 and bankId = ?2 and status = ?3 and id <> ?4", userId, bankId, LinkStatus.LINK_STATUS_ACTIVE,
                except).list();
    }

    /**
     * Moves a link from one of the given statuses to another; false when it was in none of them
     * (someone else ended it first), which makes every ending idempotent.
     */
    @WithTransaction
    public Uni<Boolean> transition(UUID id, Collection<LinkStatus> from, LinkStatus to, String reason, Instant now,
            Instant consentEndDueAt, boolean consentEndByBank) {
        // consentEndDueAt null: the consent's end is not this statement's business (a due end already marked stays)
        return update("status = ?1, statusReason = ?2, updatedAt = ?3, codeVerifier = null,"
                + " consentEndDueAt = coalesce(?4, consentEndDueAt),"
                + " consentEndByBank = case when ?4 is null then consentEndByBank else ?7 end where id = ?5 and status in ?6",
                to, truncate(reason), now, consentEndDueAt, id, List.copyOf(from), consentEndByBank).map(n -> n == 1);
    }

    /**
     * PENDING -> FAILED, and its consent's end due now, in one statement: if this replica stops before consent-service
     * is told, the sweep tells it (FailedLinkConsents). False when the link was no longer PENDING.
     */
    @WithTransaction
    public Uni<Boolean> fail(UUID id, String reason, Instant now, Instant consentEndDueAt) {
        return update("status = ?1, statusReason = ?2, updatedAt = ?3, consentEndDueAt = ?6, codeVerifier = null"
                + " where id = ?4 and status = ?5",
                LinkStatus.LINK_STATUS_FAILED, truncate(reason), now, id, LinkStatus.LINK_STATUS_PENDING, consentEndDueAt)
                .map(n -> n == 1);
    }

    /** The ended link's consent has been ended (or needs no ending). */
    @WithTransaction
    public Uni<Integer> consentEnded(UUID id) {
        return update("consentEndDueAt = null where id = ?1", id);
    }

    /**
     * Claims up to {@code limit} ended links (failed, or unlinked) whose consent's end is due, for {@code lease}, counting the attempt:
     * rows are read with {@code FOR UPDATE SKIP LOCKED}, so two replicas never work on the same link at once.
     */
    @WithTransaction
    public Uni<List<Link>> claimConsentEndsDue(Instant now, Duration lease, int limit) {
        return getSession().chain(s -> s.createNativeQuery("SELECT * FROM links WHERE consent_end_due_at <= :now"
                + " ORDER BY consent_end_due_at LIMIT :limit FOR UPDATE SKIP LOCKED", Link.class)
                .setParameter("now", now)
                .setParameter("limit", limit)
                .getResultList())
                .invoke(due -> due.forEach(l -> {
                    l.consentEndDueAt = now.plus(lease); // flushed with the commit
                    l.consentEndAttempts++;
                }));
    }

    /** Ended links whose consent's end is still due after {@code attempts} attempts or more (StuckWork). */
    @WithSession
    public Uni<Long> countConsentEndsAttemptedAtLeast(int attempts) {
        return count("consentEndDueAt is not null and consentEndAttempts >= ?1", attempts);
    }

    /** The next attempt at ending an ended link's consent. */
    @WithTransaction
    public Uni<Integer> consentEndFailed(UUID id, Instant nextAttemptAt) {
        return update("consentEndDueAt = ?1 where id = ?2 and consentEndDueAt is not null", nextAttemptAt, id);
    }

    /**
     * The bank's link id, as soon as the code exchange gave it, on a link still PENDING: a bank that ends the access
     * while the completion is still storing it (NotifyAccessRevoked names the bank's link id) finds the link.
     */
    @WithTransaction
    public Uni<Boolean> recordBankLink(UUID id, String bankLinkId) {
        return update("bankLinkId = ?1 where id = ?2 and status = ?3", bankLinkId, id, LinkStatus.LINK_STATUS_PENDING)
                .map(n -> n == 1);
    }

    /** PENDING -> ACTIVE with the bank's link id; joins the caller's transaction (with the accounts and the token). */
    public Uni<Boolean> activate(UUID id, String bankLinkId, Instant now) {
        return update("status = ?1, statusReason = '', bankLinkId = ?2, updatedAt = ?3, codeVerifier = null"
                + " where id = ?4 and status = ?5",
                LinkStatus.LINK_STATUS_ACTIVE, bankLinkId, now, id, LinkStatus.LINK_STATUS_PENDING).map(n -> n == 1);
    }

    /**
     * Whether {@code e} is the unique key {@code links_bank_link_idx} refusing a bank's link id that another link
     * with that bank already has (the bank's answer, not our fault: the caller turns it into UNAVAILABLE).
     */
    public static boolean bankLinkIdTaken(Throwable e) {
        return violates(e, "links_bank_link_idx");
    }

    /**
     * Whether {@code e} is the unique key {@code links_one_active_per_bank_idx} (V11) refusing a second ACTIVE link of a
     * person to one bank: another completion to that bank became ACTIVE at the same moment (on a replica of the previous
     * version, which does not replace links, or between this one's look for links to replace and its activation).
     */
    public static boolean anotherActiveLinkWithTheBank(Throwable e) {
        return violates(e, "links_one_active_per_bank_idx");
    }

    private static boolean violates(Throwable e, String uniqueIndex) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConstraintViolationException violation) {  // Hibernate's report of PostgreSQL's 23505
                return uniqueIndex.equals(violation.getConstraintName());
            }
        }
        return false;
    }

    public static String truncate(String s) {
        return s == null ? "" : s.length() > 255 ? s.substring(0, 255) : s;
    }
}
