package io.commercechat.accounts.link;

import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.annotations.Generated;
import org.hibernate.generator.EventType;

/** An account link as stored (the state is stored only as a hash, the bank token elsewhere, encrypted). */
@Entity
@Table(name = "links")
public class Link {

    public static final int MAX_BANK_LINK_ID = 255;

    @Id
    public UUID id;

    /** Stable cursor for paging (identity column). */
    @Generated(event = EventType.INSERT)
    @Column(name = "list_seq", insertable = false, updatable = false)
    public Long listSeq;

    public String userId;
    public String bankId;
    public UUID consentId;

    @Enumerated(EnumType.STRING)
    public LinkStatus status;

    public String statusReason;
    /** Comma-separated {@link Permission} names. */
    public String permissions;
    /** Comma-separated {@link Purpose} names. */
    public String purposes;
    public String redirectUri;
    /** SHA-256 (hex) of the one-time state; the state itself is never stored. */
    public String stateHash;
    /**
     * The PKCE verifier whose challenge went to the bank with the authorisation request (BankConnector): only this
     * link can exchange the code the bank issues for it. Kept while the link is PENDING, cleared when it ends.
     */
    public String codeVerifier;
    public boolean stateUsed;
    public Instant stateExpiresAt;
    /** When CompleteLink claimed the state (V5); a link still PENDING long after it was abandoned (AbandonedCompletions). */
    public Instant claimedAt;
    /**
     * SHA-256 (hex) of the state and the code the claiming CompleteLink carried (V5), so that its retry is recognised;
     * the code itself is never stored. Null when the completion carried the bank's error instead of a code.
     */
    public String completionCodeHash;
    /** The bank's id for the link (column bank_link_id), at most {@link #MAX_BANK_LINK_ID} characters. */
    public String bankLinkId;
    public Instant createdAt;
    public Instant updatedAt;
    public Instant expiresAt;
    /** The consent's transaction window (null = unbounded on that side). */
    public Instant transactionFrom;
    public Instant transactionTo;
    /**
     * When ending the consent of this link is (re)tried: a FAILED link (V3), or one the person unlinked or the bank
     * ended while consent-service could not be told; null once done.
     */
    public Instant consentEndDueAt;
    public int consentEndAttempts;
    /** The due end of a REVOKED link's consent is the bank's doing (V9), not the person's. */
    public boolean consentEndByBank;

    public List<Permission> permissionList() {
        return split(permissions).stream().map(Permission::valueOf).toList();
    }

    /**
     * Whether the link's consent covers account details (PERMISSION_ACCOUNTS_DETAIL): only then is an account's masked
     * number stored and shown; without it every answer leaves masked_number empty.
     */
    public boolean coversAccountDetails() {
        return permissionList().contains(Permission.PERMISSION_ACCOUNTS_DETAIL);
    }

    /**
     * The permission a read of the link's account list is checked (and logged) as: ACCOUNTS_DETAIL when the answer
     * carries masked numbers, ACCOUNTS_BASIC when it does not (a link always has ACCOUNTS_BASIC: BeginLink requires it).
     */
    public Permission accountListPermission() {
        return coversAccountDetails() ? Permission.PERMISSION_ACCOUNTS_DETAIL : Permission.PERMISSION_ACCOUNTS_BASIC;
    }

    public List<Purpose> purposeList() {
        return split(purposes).stream().map(Purpose::valueOf).toList();
    }

    public static String join(Collection<? extends Enum<?>> values) {
        return values.stream().map(Enum::name).collect(Collectors.joining(","));
    }

    private static List<String> split(String joined) {
        return joined == null || joined.isEmpty() ? List.of() : Arrays.asList(joined.split(","));
    }

    public boolean isActive() {
        return status == LinkStatus.LINK_STATUS_ACTIVE;
    }

    /**
     * Whether its consent's expiry has come by {@code now}, the database's time (DatabaseClock), whatever its status says
     * (the EXPIRED event may be due).
     */
    public boolean pastExpiryAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    public boolean hasEnded() {
        return status == LinkStatus.LINK_STATUS_FAILED || status == LinkStatus.LINK_STATUS_REVOKED
                || status == LinkStatus.LINK_STATUS_EXPIRED;
    }
}
