package io.commercechat.consent.receipt;

import io.commercechat.proto.consent.v1.ReceiptKind;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A signed consent receipt, issued at authorisation and at revocation. */
@Entity
@Table(name = "receipts")
public class Receipt {
    @Id
    public UUID id;
    public UUID consentId;
    @Enumerated(EnumType.STRING)
    public ReceiptKind kind;
    public String jws;
    public String keyId;
    public Instant issuedAt;
}
