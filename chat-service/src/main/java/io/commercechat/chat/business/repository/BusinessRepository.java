package io.commercechat.chat.business.repository;

import io.commercechat.chat.business.Business;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

@ApplicationScoped
public class BusinessRepository implements PanacheRepositoryBase<Business, String> {

    public Uni<List<Business>> all() {
        return find("order by displayName, id").list();
    }

    /** The bank business that account-link-service knows as {@code partnerBankId}, or null. */
    public Uni<Business> findByPartnerBank(String partnerBankId) {
        return find("partnerBankId = ?1", partnerBankId).firstResult();
    }
}
