package io.commercechat.chat.partner.grpc;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.conversation.ConversationViews;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.conversation.service.ConversationService;
import io.commercechat.chat.grpc.GrpcErrors;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.chat.inbox.service.InboxLog;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.MessageViews;
import io.commercechat.chat.message.service.MessageService;
import io.commercechat.chat.rest.RequestDeadlineInterceptor;
import io.commercechat.chat.security.Caller;
import io.commercechat.chat.security.TokenDeadline;
import io.commercechat.proto.partner.v1.BusinessMessaging;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.GetHistoryResponse;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.proto.partner.v1.ListConversationsResponse;
import io.commercechat.proto.partner.v1.MarkReadRequest;
import io.commercechat.proto.partner.v1.MarkReadResponse;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.SetTypingResponse;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.StreamReadiness;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.function.Function;
import java.util.function.Supplier;

/** The partner edge: resolves the business from its token, delegates, maps results and errors. */
@GrpcService
@Authenticated
public class BusinessMessagingGrpcService implements BusinessMessaging {

    private final ConversationService conversations;
    private final MessageService messages;
    private final InboxFeed feed;
    private final SecurityIdentity identity;
    private final TokenDeadline tokenDeadline;
    private final ChatConfig config;

    public BusinessMessagingGrpcService(ConversationService conversations, MessageService messages, InboxFeed feed,
            SecurityIdentity identity, TokenDeadline tokenDeadline, ChatConfig config) {
        this.tokenDeadline = tokenDeadline;
        this.config = config;
        this.conversations = conversations;
        this.messages = messages;
        this.feed = feed;
        this.identity = identity;
    }

    @Override
    public Multi<SubscribeResponse> subscribe(SubscribeRequest req) {
        return Multi.createFrom().deferred(() -> {
            Caller business = Caller.business(identity);
            String inbox = Caller.inboxOfBusiness(business.businessId());
            long after = GrpcValidation.nonNegative(req.getAfterPosition(), "after_position");
            // the next events are read only when the transport takes more (gRPC flow control)
            Supplier<Uni<Void>> ready = StreamReadiness.ofCurrentStream();
            Multi<SubscribeResponse> events = Multi.createFrom().uni(feed.resumable(inbox, after))
                    .onItem().transformToMultiAndConcatenate(start -> feed.follow(inbox, start, config.streamsPerBusiness(),
                            ready))
                    .map(e -> SubscribeResponse.newBuilder().setEvent(InboxLog.forBusiness(e)).build());
            // ends when the token it was opened with is no longer accepted; the partner subscribes again with a new one
            return tokenDeadline.until(identity, events, () -> Multi.createFrom().failure(() -> Status.UNAUTHENTICATED
                    .withDescription("the token this stream was opened with has expired: subscribe again with a new"
                            + " token after your last position").asRuntimeException()));
        }).onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<SendMessageResponse> sendMessage(SendMessageRequest req) {
        return answer(party -> {
            var out = new MessageService.Outgoing(GrpcValidation.uuid(req.getConversationId(), "conversation_id"),
                    MessageService.clientMessageId(req.getClientMessageId()),
                    MessageContents.validateFromBusiness(req.getContent()), req.getUpdateTag(),
                    ChatMessage.Visibility.EVERYONE);
            return messages.send(party, out);
        }, sent -> SendMessageResponse.newBuilder().setMessage(MessageViews.forBusiness(sent.message()))
                .setDuplicate(sent.duplicate()).build());
    }

    @Override
    public Uni<MarkReadResponse> markRead(MarkReadRequest req) {
        return call(party -> conversations.markRead(party, GrpcValidation.uuid(req.getConversationId(), "conversation_id"),
                req.getSeq()), seq -> MarkReadResponse.newBuilder().setReadSeq(seq).build());
    }

    @Override
    public Uni<SetTypingResponse> setTyping(SetTypingRequest req) {
        return call(party -> conversations.typing(party, GrpcValidation.uuid(req.getConversationId(), "conversation_id"),
                req.getTyping()), x -> SetTypingResponse.getDefaultInstance());
    }

    @Override
    public Uni<ListConversationsResponse> listConversations(ListConversationsRequest req) {
        return call(party -> {
            int size = GrpcValidation.pageSize(req.getPageSize());
            return conversations.list(party, req.getPageToken(), size);
        }, page -> {
            var b = ListConversationsResponse.newBuilder();
            page.conversations().forEach(c -> b.addConversations(
                    ConversationViews.forBusiness(c, page.unread().getOrDefault(c.id, 0L))));
            if (page.nextCursor() != null) {
                b.setNextPageToken(page.nextCursor());
            }
            return b.build();
        });
    }

    @Override
    public Uni<GetHistoryResponse> getHistory(GetHistoryRequest req) {
        return call(party -> messages.history(party, GrpcValidation.uuid(req.getConversationId(), "conversation_id"),
                GrpcValidation.nonNegative(req.getBeforeSeq(), "before_seq"), req.hasAfterSeq() ? GrpcValidation.nonNegative(req.getAfterSeq(), "after_seq") : MessageService.NOT_AFTER,
                GrpcValidation.pageSize(req.getPageSize(), 50)), h -> {
                    var b = GetHistoryResponse.newBuilder().setHasMore(h.hasMore());
                    h.messages().forEach(m -> b.addMessages(MessageViews.forBusiness(m)));
                    return b.build();
                });
    }

    /** A call answered within chat.request-deadline. */
    private <T, R> Uni<R> call(Function<Party, Uni<T>> action, Function<T, R> toResponse) {
        return answer(party -> RequestDeadlineInterceptor.within(action.apply(party), config.requestDeadline()), toResponse);
    }

    /** A call whose answer has a deadline of its own (see {@link io.commercechat.chat.rest.OwnDeadline}). */
    private <T, R> Uni<R> answer(Function<Party, Uni<T>> action, Function<T, R> toResponse) {
        return Uni.createFrom().deferred(() -> action.apply(Party.business(Caller.business(identity).businessId())))
                .map(toResponse).onFailure().transform(GrpcErrors::toStatus);
    }
}
