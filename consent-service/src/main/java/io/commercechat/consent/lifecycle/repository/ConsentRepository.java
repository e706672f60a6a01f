package io.commercechat.consent.lifecycle.repository;

import io.commercechat.consent.lifecycle.Consent;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class ConsentRepository implements PanacheRepositoryBase<Consent, UUID> {

    // Due for the sweep, not yet ended by it (ConsentLifecycle.dueEnding says the same in Java, claimNextDue in SQL);
    // parameters :authorised, :awaiting, :now and :lapseCutoff.
    private static final String EXPIRED_UNRECORDED = "(status = :authorised and expiresAt <= :now)";
    private static final String LAPSED_UNRECORDED = "(status = :awaiting and createdAt <= :lapseCutoff)";

    /**
     * A page of a person's consents, newest first, strictly before the cursor {@code before}. {@code statuses} filters by the status a consent reads as at
     * {@code now}: an authorised one past its expiry reads EXPIRED, one awaiting authorisation since before
     * {@code lapseCutoff} reads REJECTED, until the sweep records it so (ConsentLifecycle.view).
     */
    public Uni<List<Consent>> page(String userId, String bankId, List<ConsentStatus> statuses, Instant now,
            Instant lapseCutoff, long before, int limit) {
        StringBuilder q = new StringBuilder("userId = :user and listSeq < :before");
        Parameters p = Parameters.with("user", userId).and("before", before);
        if (!bankId.isEmpty()) {
            q.append(" and bankId = :bank");
            p.and("bank", bankId);
        }
        if (!statuses.isEmpty()) {
            q.append(" and ((status in :statuses and not ").append(EXPIRED_UNRECORDED).append(" and not ")
                    .append(LAPSED_UNRECORDED).append(')');
            if (statuses.contains(ConsentStatus.CONSENT_STATUS_EXPIRED)) {
                q.append(" or ").append(EXPIRED_UNRECORDED);
            }
            if (statuses.contains(ConsentStatus.CONSENT_STATUS_REJECTED)) {
                q.append(" or ").append(LAPSED_UNRECORDED);
            }
            q.append(')');
            p.and("statuses", statuses).and("authorised", ConsentStatus.CONSENT_STATUS_AUTHORISED)
                    .and("awaiting", ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION).and("now", now)
                    .and("lapseCutoff", lapseCutoff);
        }
        return find(q + " order by listSeq desc", p).range(0, limit - 1).list();
    }

    /**
     * Authorised consents of a person at a bank, newest first, at most 50, locked FOR SHARE until the transaction ends
     * (a revoke's update waits for it).
     */
    public Uni<List<Consent>> authorisedFor(String userId, String bankId) {
        return find("userId = ?1 and bankId = ?2 and status = ?3 order by listSeq desc", userId, bankId,
                ConsentStatus.CONSENT_STATUS_AUTHORISED).withLock(LockModeType.PESSIMISTIC_READ).range(0, 49).list();
    }

    /**
     * The consent, locked against checks and other changes until the transaction ends (FOR NO KEY UPDATE: it waits
     * for the checks that hold it shared). The wait is bounded by {@code wait} (lock_timeout; GrpcErrors answers
     * ABORTED), so a row that stays busy fails the change instead of holding it; later statements wait as before.
     */
    public Uni<Consent> findForChange(UUID id, Duration wait) {
        return getSession().chain(s -> s.createNativeQuery("select set_config('lock_timeout', ?1, true)", String.class)
                        .setParameter(1, wait.toMillis() + "ms").getSingleResult()
                        .chain(() -> findById(id, LockModeType.PESSIMISTIC_WRITE))
                        .call(() -> s.createNativeQuery("select set_config('lock_timeout', reset_val, true) from pg_settings"
                                + " where name = 'lock_timeout'", String.class).getSingleResult()));
    }

    /** Where a sweep has got to among the due consents, oldest first: the consent it claimed last. */
    public record SweepPosition(UUID consentId, Instant createdAt, long listSeq) {}

    /**
     * Claims the oldest consent due for the sweep at {@code now} (EXPIRED_UNRECORDED, LAPSED_UNRECORDED) after
     * {@code after} (null: from the start), locked until the transaction ends; null when there is none. A consent that
     * anyone else holds (a check in flight, another replica's sweep, a change) is skipped, not waited for (SKIP
     * LOCKED), so the replicas' sweeps share the due consents and a skipped one is left to the next run. A row changed
     * since the statement began is re-checked, as locked, against the condition (READ COMMITTED), so a consent another
     * replica has just ended is not claimed again.
     */
    public Uni<Consent> claimNextDue(Instant now, Instant lapseCutoff, SweepPosition after) {
        String sql = "select * from consents where ((status = :authorised and expires_at <= :now)"
                + " or (status = :awaiting and created_at <= :lapseCutoff))"
                + (after == null ? "" : " and (created_at, list_seq) > (:afterCreated, :afterSeq)")
                + " order by created_at, list_seq limit 1 for no key update skip locked";
        return getSession().chain(s -> {
            var claim = s.createNativeQuery(sql, Consent.class)
                    .setParameter("authorised", ConsentStatus.CONSENT_STATUS_AUTHORISED.name())
                    .setParameter("awaiting", ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION.name())
                    .setParameter("now", now)
                    .setParameter("lapseCutoff", lapseCutoff);
            if (after != null) {
                claim.setParameter("afterCreated", after.createdAt()).setParameter("afterSeq", after.listSeq());
            }
            return claim.getResultList();
        }).map(rows -> rows.isEmpty() ? null : rows.get(0));
    }
}
