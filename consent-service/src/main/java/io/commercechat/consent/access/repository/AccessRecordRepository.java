package io.commercechat.consent.access.repository;

import io.commercechat.consent.access.AccessRecord;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class AccessRecordRepository implements PanacheRepositoryBase<AccessRecord, UUID> {

    /** Newest first, strictly before the cursor. */
    public Uni<List<AccessRecord>> page(String userId, UUID consentId, long before, int limit) {
        return consentId == null
                ? find("userId = ?1 and listSeq < ?2 order by listSeq desc", userId, before).range(0, limit - 1).list()
                : find("userId = ?1 and consentId = ?2 and listSeq < ?3 order by listSeq desc", userId, consentId, before)
                        .range(0, limit - 1).list();
    }
}
