package io.commercechat.accounts.link.repository;

import io.commercechat.accounts.link.LinkedAccount;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The accounts of links (table {@code linked_accounts}): metadata and masked numbers only. */
@ApplicationScoped
public class LinkedAccountRepository implements PanacheRepositoryBase<LinkedAccount, UUID> {

    /** Accounts of the given links, grouped by link id (in the bank's order). */
    @WithSession
    public Uni<Map<UUID, List<LinkedAccount>>> accountsOf(Collection<UUID> linkIds) {
        if (linkIds.isEmpty()) {
            return Uni.createFrom().item(new LinkedHashMap<>());
        }
        return find("linkId in ?1 order by linkId, listPosition", List.copyOf(linkIds)).list().map(found -> {
            Map<UUID, List<LinkedAccount>> byLink = new LinkedHashMap<>();
            found.forEach(a -> byLink.computeIfAbsent(a.linkId, k -> new ArrayList<>()).add(a));
            return byLink;
        });
    }

    @WithSession
    public Uni<LinkedAccount> find(UUID accountId) {
        return findById(accountId);
    }
}
