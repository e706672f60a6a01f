package io.commercechat.sandbox.client;

import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.GetHistoryResponse;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.proto.partner.v1.ListConversationsResponse;
import io.commercechat.proto.partner.v1.MarkReadRequest;
import io.commercechat.proto.partner.v1.MarkReadResponse;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.MutinyBusinessMessagingGrpc.MutinyBusinessMessagingStub;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.SetTypingResponse;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;

/**
 * chat-service's BusinessMessaging, called as a partner business of the sandbox. Unary calls use
 * the {@code business-messaging} client (with a deadline); the long-lived inbox stream uses
 * {@code business-inbox} (same service, no deadline).
 */
@ApplicationScoped
public class BusinessMessagingClient {

    static final long DEADLINE_SECONDS = 5;

    private final MutinyBusinessMessagingStub stub;
    private final MutinyBusinessMessagingStub inbox;
    private final PartnerTokens tokens;

    public BusinessMessagingClient(@GrpcClient("business-messaging") MutinyBusinessMessagingStub stub,
            @GrpcClient("business-inbox") MutinyBusinessMessagingStub inbox, PartnerTokens tokens) {
        this.stub = stub;
        this.inbox = inbox;
        this.tokens = tokens;
    }

    public Uni<SendMessageResponse> send(String business, String conversationId, String clientMessageId,
            MessageContent content, UpdateTag tag) {
        SendMessageRequest request = SendMessageRequest.newBuilder().setConversationId(conversationId)
                .setClientMessageId(clientMessageId).setContent(content).setUpdateTag(tag).build();
        return as(business).flatMap(s -> s.sendMessage(request));
    }

    public Uni<MarkReadResponse> markRead(String business, String conversationId, long seq) {
        MarkReadRequest request = MarkReadRequest.newBuilder().setConversationId(conversationId).setSeq(seq).build();
        return as(business).flatMap(s -> s.markRead(request));
    }

    public Uni<SetTypingResponse> setTyping(String business, String conversationId, boolean typing) {
        SetTypingRequest request = SetTypingRequest.newBuilder().setConversationId(conversationId).setTyping(typing).build();
        return as(business).flatMap(s -> s.setTyping(request));
    }

    public Uni<ListConversationsResponse> listConversations(String business, int pageSize, String pageToken) {
        ListConversationsRequest request = ListConversationsRequest.newBuilder().setPageSize(pageSize)
                .setPageToken(pageToken).build();
        return as(business).flatMap(s -> s.listConversations(request));
    }

    public Uni<GetHistoryResponse> getHistory(String business, GetHistoryRequest request) {
        return as(business).flatMap(s -> s.getHistory(request));
    }

    /** The business's inbox from {@code afterPosition} on; ends only with a failure (or when chat-service ends it). */
    public Multi<SubscribeResponse> subscribe(String business, long afterPosition) {
        SubscribeRequest request = SubscribeRequest.newBuilder().setAfterPosition(afterPosition).build();
        return tokens.credentialsFor(business)
                .onItem().transformToMulti(credentials -> inbox.withCallCredentials(credentials).subscribe(request));
    }

    /** The stub with the business's token and a deadline counted from this call. */
    private Uni<MutinyBusinessMessagingStub> as(String business) {
        return tokens.credentialsFor(business)
                .map(credentials -> stub.withCallCredentials(credentials).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
    }
}
