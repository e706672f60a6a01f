package io.commercechat.accounts.link;

import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.support.ProtoTime;
import java.time.Instant;
import java.util.List;

/** Stored links and accounts to their proto messages. */
public final class LinkMapper {

    private LinkMapper() {}

    /** The link as the person sees it at {@code now}, the database's time (DatabaseClock: every replica shows the same). */
    public static io.commercechat.proto.accounts.v1.Link toProto(Link l, String bankDisplayName, List<LinkedAccount> accounts,
            Instant now) {
        // a link past its consent's expiry is shown as the consent event will record it (EXPIRED), also before that
        // event has been handled here: its accounts are not shown any more from that moment
        boolean expired = l.isActive() && l.pastExpiryAt(now);
        var b = io.commercechat.proto.accounts.v1.Link.newBuilder()
                .setId(l.id.toString())
                .setBankId(l.bankId)
                .setBankDisplayName(bankDisplayName)
                .setConsentId(l.consentId.toString())
                .setStatus(expired ? LinkStatus.LINK_STATUS_EXPIRED : l.status)
                .setStatusReason(expired ? "the consent expired" : reason(l))
                .addAllPermissions(l.permissionList())
                .addAllPurposes(l.purposeList())
                .setCreatedAt(ProtoTime.of(l.createdAt))
                .setUpdatedAt(ProtoTime.of(l.updatedAt))
                .setExpiresAt(ProtoTime.of(l.expiresAt));
        // while ACTIVE only: once access has ended, what the bank said of its accounts is not shown any more (ListAccounts,
        // the other way to them, checks the consent on every call)
        if (l.isActive() && !expired) {
            accounts.forEach(a -> b.addAccounts(toProto(a, l)));
        }
        return b.build();
    }

    /**
     * The link's status reason; for a revoked link whose consent consent-service has not been told about yet (an
     * Unlink while it was unreachable), also that access has ended all the same and the consent follows.
     */
    private static String reason(Link l) {
        return l.status == LinkStatus.LINK_STATUS_REVOKED && l.consentEndDueAt != null
                ? l.statusReason + " (access has ended; your consent is marked as ended as soon as the consent service answers)"
                : l.statusReason;
    }

    /**
     * The account as every answer shows it: the masked number only when the link's consent covers account details
     * (rows stored before that was enforced may still hold one; V8 clears them).
     */
    public static io.commercechat.proto.accounts.v1.LinkedAccount toProto(LinkedAccount a, Link link) {
        return io.commercechat.proto.accounts.v1.LinkedAccount.newBuilder()
                .setId(a.id.toString())
                .setLinkId(a.linkId.toString())
                .setBankId(link.bankId)
                .setDisplayName(a.displayName)
                .setType(a.type)
                .setCurrency(a.currency)
                .setMaskedNumber(link.coversAccountDetails() && a.maskedNumber != null ? a.maskedNumber : "")
                .build();
    }
}
