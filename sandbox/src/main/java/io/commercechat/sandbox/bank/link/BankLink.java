package io.commercechat.sandbox.bank.link;

import io.commercechat.proto.consent.v1.Permission;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Access a customer granted at the bank: which accounts, what of them, until when. The access token is kept
 * only as a SHA-256 hash; revocation is set once, so concurrent revokes agree on who won.
 */
public final class BankLink {

    private final String id;
    private final String tokenHash;
    private final String customerId;
    private final List<String> accountIds;
    private final Set<Permission> permissions;
    private final Instant expiresAt;
    private final AtomicReference<Instant> revokedAt = new AtomicReference<>();

    BankLink(String id, String tokenHash, String customerId, List<String> accountIds, Set<Permission> permissions,
            Instant expiresAt) {
        this.id = id;
        this.tokenHash = tokenHash;
        this.customerId = customerId;
        this.accountIds = List.copyOf(accountIds);
        this.permissions = permissions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(permissions));
        this.expiresAt = expiresAt;
    }

    public String id() {
        return id;
    }

    String tokenHash() {
        return tokenHash;
    }

    public String customerId() {
        return customerId;
    }

    /** The accounts the person selected, in the order of the bank's account list. */
    public List<String> accountIds() {
        return accountIds;
    }

    /** Whether the customer granted {@code permission} with this access (what the authorisation request asked for). */
    public boolean permits(Permission permission) {
        return permissions.contains(permission);
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    public boolean isRevoked() {
        return revokedAt.get() != null;
    }

    /** True only for the call that actually revoked it. */
    boolean revoke(Instant at) {
        return revokedAt.compareAndSet(null, at);
    }

    public boolean isUsableAt(Instant now) {
        return !isRevoked() && now.isBefore(expiresAt);
    }

    /** Whether it had stopped working (was revoked or had expired) before {@code instant}. */
    boolean endedBefore(Instant instant) {
        Instant revoked = revokedAt.get();
        return expiresAt.isBefore(instant) || (revoked != null && revoked.isBefore(instant));
    }
}
