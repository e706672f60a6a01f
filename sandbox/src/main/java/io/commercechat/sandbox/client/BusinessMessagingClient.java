package io.commercechat.sandbox.client;

import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.MutinyBusinessMessagingGrpc.MutinyBusinessMessagingStub;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** chat-service's BusinessMessaging, called as a partner business of the sandbox. */
@ApplicationScoped
public class BusinessMessagingClient {

    private final MutinyBusinessMessagingStub stub;
    private final PartnerTokens tokens;

    public BusinessMessagingClient(@GrpcClient("business-messaging") MutinyBusinessMessagingStub stub, PartnerTokens tokens) {
        this.stub = stub;
        this.tokens = tokens;
    }

    public Uni<SendMessageResponse> send(String business, String conversationId, String clientMessageId,
            MessageContent content, UpdateTag tag) {
        SendMessageRequest request = SendMessageRequest.newBuilder().setConversationId(conversationId)
                .setClientMessageId(clientMessageId).setContent(content).setUpdateTag(tag).build();
        return tokens.credentialsFor(business)
                .flatMap(credentials -> stub.withCallCredentials(credentials).sendMessage(request));
    }
}
