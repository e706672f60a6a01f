package io.commercechat.sandbox.client;

import io.commercechat.proto.partner.v1.MutinyPartnerLinkEventsGrpc.MutinyPartnerLinkEventsStub;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.support.ProtoTime;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** account-link-service's PartnerLinkEvents, called as the partner bank {@code sandbox-bank}. */
@ApplicationScoped
public class LinkEventsClient {

    private final MutinyPartnerLinkEventsStub stub;
    private final PartnerTokens tokens;

    public LinkEventsClient(@GrpcClient("link-events") MutinyPartnerLinkEventsStub stub, PartnerTokens tokens) {
        this.stub = stub;
        this.tokens = tokens;
    }

    /** True when the platform ended the link now, false when it had already ended. */
    public Uni<Boolean> notifyAccessRevoked(String bankLinkId, String reason, Instant occurredAt) {
        NotifyAccessRevokedRequest request = NotifyAccessRevokedRequest.newBuilder().setBankLinkId(bankLinkId)
                .setReason(reason).setOccurredAt(ProtoTime.of(occurredAt)).build();
        return tokens.credentialsFor(PartnerTokens.BANK)
                .flatMap(credentials -> stub.withCallCredentials(credentials)
                        .withDeadlineAfter(BusinessMessagingClient.DEADLINE_SECONDS, TimeUnit.SECONDS).notifyAccessRevoked(request))
                .map(response -> response.getRevoked());
    }
}
