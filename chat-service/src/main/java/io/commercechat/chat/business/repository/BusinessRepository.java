package io.commercechat.chat.business.repository;

import io.commercechat.chat.business.Business;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

@ApplicationScoped
public class BusinessRepository implements PanacheRepositoryBase<Business, String> {

    public Uni<List<Business>> all() {
        return find("order by displayName, id").list();
    }

    /** Partner bank id → the bank's display name, for every bank business (a handful of rows). */
    public Uni<Map<String, String>> bankNames() {
        return find("kind", Business.Kind.BANK).list()
                .map(banks -> banks.stream().collect(Collectors.toMap(b -> b.partnerBankId, b -> b.displayName, (a, b) -> a)));
    }

    /** The bank business that account-link-service knows as {@code partnerBankId}, or null. */
    public Uni<Business> findByPartnerBank(String partnerBankId) {
        return find("partnerBankId = ?1", partnerBankId).firstResult();
    }
}
