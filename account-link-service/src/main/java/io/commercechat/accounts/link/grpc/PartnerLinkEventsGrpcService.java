package io.commercechat.accounts.link.grpc;

import io.commercechat.accounts.grpc.GrpcErrors;
import io.commercechat.accounts.link.service.PartnerRevocations;
import io.commercechat.accounts.security.Caller;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedResponse;
import io.commercechat.proto.partner.v1.PartnerLinkEvents;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/** The partner edge: banks tell us they ended access (partner JWT, business_id = the bank). */
@GrpcService
// Authentication is enforced by Caller.of, the first step of every RPC (UNAUTHENTICATED without a
// valid token): with @Authenticated here Quarkus answered an anonymous call PERMISSION_DENIED.
public class PartnerLinkEventsGrpcService implements PartnerLinkEvents {

    private final PartnerRevocations revocations;
    private final SecurityIdentity identity;

    public PartnerLinkEventsGrpcService(PartnerRevocations revocations, SecurityIdentity identity) {
        this.revocations = revocations;
        this.identity = identity;
    }

    @Override
    public Uni<NotifyAccessRevokedResponse> notifyAccessRevoked(NotifyAccessRevokedRequest req) {
        return Uni.createFrom().deferred(() -> {
            Caller bank = Caller.of(identity).requirePartner("NotifyAccessRevoked");
            return revocations.accessRevoked(bank, req).map(revoked -> NotifyAccessRevokedResponse.newBuilder()
                    .setRevoked(revoked).build());
        }).onFailure().transform(GrpcErrors::toStatus);
    }
}
