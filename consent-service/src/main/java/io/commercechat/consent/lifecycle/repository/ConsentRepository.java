package io.commercechat.consent.lifecycle.repository;

import io.commercechat.consent.clock.DatabaseClock;
import io.commercechat.consent.lifecycle.Consent;
import io.commercechat.consent.lifecycle.ConsentDue;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

@ApplicationScoped
public class ConsentRepository implements PanacheRepositoryBase<Consent, UUID> {

    /**
     * A page of a person's consents, newest first, strictly before the cursor {@code before}. {@code statuses} filters by
     * the status a consent reads as at {@code due.now()}: one that is due reads as the sweep will record it (EXPIRED, or
     * REJECTED when lapsed) until the sweep has (ConsentLifecycle.view).
     */
    public Uni<List<Consent>> page(String userId, String bankId, List<ConsentStatus> statuses, ConsentDue due, long before,
            int limit) {
        StringBuilder sql = new StringBuilder("select * from consents where user_id = :user and list_seq < :before");
        Map<String, Object> p = new HashMap<>(Map.of("user", userId, "before", before, "limit", limit));
        if (!bankId.isEmpty()) {
            sql.append(" and bank_id = :bank");
            p.put("bank", bankId);
        }
        if (!statuses.isEmpty()) {
            List<String> names = statuses.stream().map(ConsentStatus::name).distinct().toList();
            StringJoiner in = new StringJoiner(", ", "(", ")");
            for (int i = 0; i < names.size(); i++) {
                in.add(":status" + i);
                p.put("status" + i, names.get(i));
            }
            sql.append(" and ((status in ").append(in).append(" and not ").append(ConsentDue.EXPIRED)
                    .append(" and not ").append(ConsentDue.LAPSED).append(')');
            if (statuses.contains(ConsentStatus.CONSENT_STATUS_EXPIRED)) {
                sql.append(" or ").append(ConsentDue.EXPIRED);
            }
            if (statuses.contains(ConsentStatus.CONSENT_STATUS_REJECTED)) {
                sql.append(" or ").append(ConsentDue.LAPSED);
            }
            sql.append(')');
            p.putAll(due.parameters());
        }
        sql.append(" order by list_seq desc limit :limit");
        return getSession().chain(s -> {
            var page = s.createNativeQuery(sql.toString(), Consent.class);
            p.forEach(page::setParameter);
            return page.getResultList();
        });
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
     * Claims the oldest consent due at {@code due} after {@code after} (null: from the start), locked until the
     * transaction ends; null when there is none. A consent that anyone else holds (a check in flight, another replica's
     * sweep, a change) is skipped, not waited for (SKIP LOCKED), so the replicas' sweeps share the due consents; a run
     * takes a second look at the ones it skipped ({@link #nextDue}). A row changed since the statement began is
     * re-checked, as locked, against the condition (READ COMMITTED), so a consent another replica has just ended is not
     * claimed again.
     */
    public Uni<Consent> claimNextDue(ConsentDue due, SweepPosition after) {
        String sql = "select * from consents where " + ConsentDue.EITHER + afterClause(after)
                + " order by created_at, list_seq limit 1 for no key update skip locked";
        return getSession().chain(s -> {
            var claim = s.createNativeQuery(sql, Consent.class);
            due.parameters().forEach(claim::setParameter);
            bindAfter(claim, after);
            return claim.getResultList();
        }).map(rows -> rows.isEmpty() ? null : rows.get(0));
    }

    /**
     * Where the oldest consent due at {@code due} after {@code after} (null: from the start) is, whoever holds it; null
     * when there is none. Nothing is locked or loaded: the caller locks the consent ({@link #findForChange}) and decides
     * on what it reads then.
     */
    public Uni<SweepPosition> nextDue(ConsentDue due, SweepPosition after) {
        String sql = "select id::text, (extract(epoch from created_at) * 1000000)::bigint, list_seq from consents where "
                + ConsentDue.EITHER + afterClause(after) + " order by created_at, list_seq limit 1";
        return getSession().chain(s -> {
            var next = s.createNativeQuery(sql, Object[].class);
            due.parameters().forEach(next::setParameter);
            bindAfter(next, after);
            return next.getResultList();
        }).map(rows -> rows.isEmpty() ? null : new SweepPosition(UUID.fromString((String) rows.get(0)[0]),
                DatabaseClock.ofMicros(((Number) rows.get(0)[1]).longValue()), ((Number) rows.get(0)[2]).longValue()));
    }

    private static String afterClause(SweepPosition after) {
        return after == null ? "" : " and (created_at, list_seq) > (:afterCreated, :afterSeq)";
    }

    private static void bindAfter(Mutiny.SelectionQuery<?> query, SweepPosition after) {
        if (after != null) {
            query.setParameter("afterCreated", after.createdAt()).setParameter("afterSeq", after.listSeq());
        }
    }
}
