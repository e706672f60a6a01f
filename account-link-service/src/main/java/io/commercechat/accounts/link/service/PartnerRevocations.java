package io.commercechat.accounts.link.service;

import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.security.Caller;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.Rejections;
import io.grpc.Status;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** A bank ended access on its side: the consent is revoked with actor BANK and the link ends at once. */
@ApplicationScoped
public class PartnerRevocations {

    private final LinkRepository links;
    private final ConsentClient consents;
    private final AccessEnding ending;

    public PartnerRevocations(LinkRepository links, ConsentClient consents, AccessEnding ending) {
        this.links = links;
        this.consents = consents;
        this.ending = ending;
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
            if (link.status != LinkStatus.LINK_STATUS_ACTIVE) {
                return Uni.createFrom().item(false);
            }
            // This call ended access exactly when its revocation of the consent took (one caller can), whoever then
            // ends the link: this call below, or the consent event that revocation causes.
            return consents.revokeAsBank(link.consentId.toString(), shown).replaceWith(true)
                    .onFailure(e -> LinkFlow.code(e) == Status.Code.FAILED_PRECONDITION).recoverWithItem(false)
                    .call(revokedHere -> ending.end(link, LinkStatus.LINK_STATUS_REVOKED, shown));
        });
    }
}
