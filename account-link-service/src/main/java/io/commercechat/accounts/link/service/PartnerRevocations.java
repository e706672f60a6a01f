package io.commercechat.accounts.link.service;

import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.security.Caller;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.Rejections;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A bank ended access on its side. The link ends here first, whatever consent-service says: the bank has ended access
 * already, so no read goes through the link from then on and its bank data is erased. Then the consent is revoked as
 * the bank's doing (ACTOR_BANK); when consent-service cannot be told now, FailedLinkConsents revokes it as soon as it
 * answers (the link carries its consent's end as due, and as the bank's, from the statement that ended it). Before,
 * the notification failed with UNAVAILABLE while consent-service was down and the link stayed ACTIVE.
 */
@ApplicationScoped
public class PartnerRevocations {

    private final LinkRepository links;
    private final FailedLinkConsents consentEnds;

    public PartnerRevocations(LinkRepository links, FailedLinkConsents consentEnds) {
        this.links = links;
        this.consentEnds = consentEnds;
    }

    /** True when this call ended the access; false when it had already ended (idempotent). */
    public Uni<Boolean> accessRevoked(Caller bank, NotifyAccessRevokedRequest req) {
        String bankLinkId = GrpcValidation.required(req.getBankLinkId(), "bank_link_id", Link.MAX_BANK_LINK_ID);
        String reason = Validate.reason(req.getReason());
        String shown = Validate.composedReason(reason.isBlank() ? "access ended by the bank" : "access ended by the bank: " + reason);
        // business_id must be the link's bank: another bank's link does not exist for this caller.
        return links.findByBankLink(bank.businessId(), bankLinkId).chain(link -> {
            if (link == null) {
                return Uni.createFrom().failure(Rejections.notFound("no link " + bankLinkId + " with bank " + bank.businessId()));
            }
            // PENDING too: the bank may end the access while the completion is still storing it (its activation then
            // finds the link no longer pending, and ends the token it holds)
            if (link.status != LinkStatus.LINK_STATUS_ACTIVE && link.status != LinkStatus.LINK_STATUS_PENDING) {
                return Uni.createFrom().item(false);
            }
            return consentEnds.revokeLink(link, shown, true, null);
        });
    }
}
