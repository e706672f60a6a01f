package io.commercechat.accounts.token;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * A link's bank access token, AES-256-GCM encrypted (associated data: the link id). A row whose
 * link ended waits ({@code revokePending}) until the bank confirmed RevokeAccess, then it is deleted.
 */
@Entity
@Table(name = "bank_tokens")
public class BankToken {

    @Id
    public UUID linkId;

    public String keyId;
    public byte[] nonce;
    public byte[] ciphertext;
    public Instant expiresAt;
    public Instant createdAt;
    public boolean revokePending;
    public String revokeReason;
    public int revokeAttempts;
    public Instant nextAttemptAt;
}
