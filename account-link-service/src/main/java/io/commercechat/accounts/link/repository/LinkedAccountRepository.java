package io.commercechat.accounts.link.repository;

import io.commercechat.accounts.link.LinkedAccount;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The accounts of links (table {@code linked_accounts}): metadata and masked numbers only, and only while the link is
 * ACTIVE (an ended link's rows are tombstones, see {@link #eraseBankData}).
 */
@ApplicationScoped
public class LinkedAccountRepository implements PanacheRepositoryBase<LinkedAccount, UUID> {

    /** Accounts of the given links that still hold their bank data, grouped by link id (in the bank's order). */
    @WithSession
    public Uni<Map<UUID, List<LinkedAccount>>> accountsOf(Collection<UUID> linkIds) {
        if (linkIds.isEmpty()) {
            return Uni.createFrom().item(new LinkedHashMap<>());
        }
        return find("linkId in ?1 and erasedAt is null order by linkId, listPosition", List.copyOf(linkIds)).list().map(found -> {
            Map<UUID, List<LinkedAccount>> byLink = new LinkedHashMap<>();
            found.forEach(a -> byLink.computeIfAbsent(a.linkId, k -> new ArrayList<>()).add(a));
            return byLink;
        });
    }

    /** The account, also a tombstone (its link ended): a read of it is refused as one of an ended link. */
    @WithSession
    public Uni<LinkedAccount> find(UUID accountId) {
        return findById(accountId);
    }

    /**
     * Erases what the bank said about a link's accounts (names, types, currencies, masked numbers): without a live link
     * nothing here may use it. Each row stays as a tombstone (id, link, position, the bank's account id, erased_at):
     * the bank's id names the account in the person's access log when a read of it is refused. Joins the caller's
     * transaction, the one that ends the link.
     */
    @WithTransaction
    public Uni<Integer> eraseBankData(UUID linkId, Instant now) {
        return update("displayName = null, type = null, currency = null, maskedNumber = null,"
                + " erasedAt = ?1 where linkId = ?2 and erasedAt is null", now, linkId);
    }

    /**
     * The same for up to {@code limit} accounts of links that ended without it (before V6, or on a replica still on the
     * previous version); returns how many. Rows another replica holds are skipped.
     */
    @WithTransaction
    public Uni<Integer> eraseOfEndedLinks(Instant now, int limit) {
        return getSession().chain(s -> s.createNativeQuery("UPDATE linked_accounts SET display_name = NULL, type = NULL,"
                        + " currency = NULL, masked_number = NULL, erased_at = :now WHERE id IN (SELECT a.id FROM linked_accounts a"
                        + " JOIN links l ON l.id = a.link_id WHERE a.erased_at IS NULL"
                        + " AND l.status IN ('LINK_STATUS_REVOKED', 'LINK_STATUS_EXPIRED', 'LINK_STATUS_FAILED')"
                        + " LIMIT :limit FOR UPDATE OF a SKIP LOCKED)")
                .setParameter("now", now)
                .setParameter("limit", limit)
                .executeUpdate());
    }
}
