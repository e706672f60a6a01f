package io.commercechat.consent.receipt.repository;

import io.commercechat.consent.receipt.Receipt;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

@ApplicationScoped
public class ReceiptRepository implements PanacheRepositoryBase<Receipt, UUID> {

    public Uni<Receipt> latest(UUID consentId, ReceiptKind kind) {
        return kind == ReceiptKind.RECEIPT_KIND_UNSPECIFIED
                ? find("consentId = ?1 order by issuedAt desc", consentId).firstResult()
                : find("consentId = ?1 and kind = ?2", consentId, kind).firstResult();
    }
}
