package io.commercechat.accounts.link;

import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An account link as stored (the state is stored only as a hash, the bank token elsewhere, encrypted). */
public record Link(UUID id, long listSeq, String userId, String bankId, UUID consentId, LinkStatus status,
        String statusReason, List<Permission> permissions, List<Purpose> purposes, String redirectUri,
        String stateHash, boolean stateUsed, Instant stateExpiresAt, String bankLinkId, Instant createdAt,
        Instant updatedAt, Instant expiresAt) {

    public boolean isActive() {
        return status == LinkStatus.LINK_STATUS_ACTIVE;
    }

    public boolean hasEnded() {
        return status == LinkStatus.LINK_STATUS_FAILED || status == LinkStatus.LINK_STATUS_REVOKED
                || status == LinkStatus.LINK_STATUS_EXPIRED;
    }
}
