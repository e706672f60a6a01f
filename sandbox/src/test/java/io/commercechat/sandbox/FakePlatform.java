package io.commercechat.sandbox;

import io.commercechat.proto.partner.v1.AccountCard;
import io.commercechat.proto.partner.v1.BusinessMessagingGrpc;
import io.commercechat.proto.partner.v1.Conversation;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.GetHistoryResponse;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.proto.partner.v1.ListConversationsResponse;
import io.commercechat.proto.partner.v1.MarkReadRequest;
import io.commercechat.proto.partner.v1.MarkReadResponse;
import io.commercechat.proto.partner.v1.Message;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.SenderKind;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.SetTypingResponse;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.proto.partner.v1.Text;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedResponse;
import io.commercechat.proto.partner.v1.PartnerLinkEventsGrpc;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test doubles of the sandbox's callers' counterparts, on loopback: account-link-service's
 * PartnerLinkEvents and chat-service's BusinessMessaging. They record what they receive
 * (with the authorization header) so tests can check the sandbox's outgoing calls, and answer
 * as their services would (NOT_FOUND for a bank link the platform never learned, UNAVAILABLE
 * while it is down, when a test asks for those).
 */
public final class FakePlatform {

    public record Received<T>(T request, String authorization) {}

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> AUTH = Context.key("authorization");

    public static final List<Received<NotifyAccessRevokedRequest>> REVOCATIONS = new CopyOnWriteArrayList<>();
    /** Bank link ids the platform never learned: NotifyAccessRevoked answers NOT_FOUND, as account-link-service does. */
    public static final Set<String> UNKNOWN_BANK_LINKS = ConcurrentHashMap.newKeySet();
    /** How many of the next NotifyAccessRevoked calls answer UNAVAILABLE (account-link-service down). */
    public static final AtomicInteger UNAVAILABLE_REVOCATIONS = new AtomicInteger();
    public static final List<Received<SendMessageRequest>> MESSAGES = new CopyOnWriteArrayList<>();
    public static final List<Received<SubscribeRequest>> SUBSCRIPTIONS = new CopyOnWriteArrayList<>();
    public static final List<Received<MarkReadRequest>> READS = new CopyOnWriteArrayList<>();
    public static final List<Received<SetTypingRequest>> TYPING = new CopyOnWriteArrayList<>();
    public static final List<Received<GetHistoryRequest>> HISTORY_CALLS = new CopyOnWriteArrayList<>();

    /** SendMessage to this conversation without an update tag answers FAILED_PRECONDITION (24 h window). */
    public static final String QUIET_CONVERSATION = "conv-quiet";
    /** The conversation ListConversations and GetHistory answer with. */
    public static final String BANK_CONVERSATION = "conv-bank-1";

    /** The business inbox: every event ever published, in position order. */
    private static final List<InboxEvent> INBOX = new ArrayList<>();
    private static final List<ServerCallStreamObserver<SubscribeResponse>> STREAMS = new ArrayList<>();
    private static final AtomicLong POSITION = new AtomicLong();

    private static Server linkEvents;
    private static Server chat;
    private static int chatPort;

    private FakePlatform() {}

    public static synchronized int startLinkEvents() {
        if (linkEvents == null) {
            linkEvents = start(new LinkEvents());
        }
        return linkEvents.getPort();
    }

    /** Every NotifyAccessRevoked call received for {@code bankLinkId}, in order. */
    public static List<Received<NotifyAccessRevokedRequest>> revocationsOf(String bankLinkId) {
        return REVOCATIONS.stream().filter(r -> r.request().getBankLinkId().equals(bankLinkId)).toList();
    }

    /** Starts chat-service's double, again on the same port after {@link #stopChat()}. */
    public static synchronized int startChat() {
        if (chat == null || chat.isShutdown()) {
            chat = start(new Chat(), chatPort);
            chatPort = chat.getPort();
        }
        return chat.getPort();
    }

    /** Appends an event to the inbox (next position) and pushes it to every open Subscribe stream. */
    public static InboxEvent publish(InboxEvent.Builder event) {
        synchronized (INBOX) {
            InboxEvent e = event.setPosition(POSITION.incrementAndGet()).build();
            INBOX.add(e);
            for (ServerCallStreamObserver<SubscribeResponse> stream : STREAMS) {
                try {
                    if (!stream.isCancelled()) {
                        stream.onNext(SubscribeResponse.newBuilder().setEvent(e).build());
                    }
                } catch (RuntimeException closed) {
                    // the subscriber went away meanwhile
                }
            }
            return e;
        }
    }

    /** A person's text message in a conversation, as an inbox event. */
    public static InboxEvent.Builder personText(String conversationId, long seq, String body) {
        return InboxEvent.newBuilder().setMessage(Message.newBuilder().setId("m-" + conversationId + "-" + seq)
                .setConversationId(conversationId).setSeq(seq).setSender(SenderKind.SENDER_KIND_PERSON)
                .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody(body))));
    }

    /** Breaks every open Subscribe stream (UNAVAILABLE), as a restarting chat-service would. */
    public static void dropSubscriptions() {
        synchronized (INBOX) {
            for (ServerCallStreamObserver<SubscribeResponse> stream : STREAMS) {
                if (!stream.isCancelled()) {
                    stream.onError(io.grpc.Status.UNAVAILABLE.withDescription("chat-service restarting").asRuntimeException());
                }
            }
            STREAMS.clear();
        }
    }

    /** Forgets every event and breaks the streams, as chat-service on a new database would: positions start from 1 again. */
    public static void resetInbox() {
        synchronized (INBOX) {
            INBOX.clear();
            POSITION.set(0);
        }
        dropSubscriptions();
    }

    /** Makes chat-service unreachable. */
    public static synchronized void stopChat() throws InterruptedException {
        if (chat != null) {
            chat.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        synchronized (INBOX) {
            STREAMS.clear();
        }
    }

    private static Server start(BindableService service) {
        return start(service, 0);
    }

    private static Server start(BindableService service, int port) {
        ServerInterceptor capture = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String auth = headers.get(AUTHORIZATION);
                return Contexts.interceptCall(Context.current().withValue(AUTH, auth == null ? "" : auth), call, headers, next);
            }
        };
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                        .addService(ServerInterceptors.intercept(service, capture)).build().start();
            } catch (IOException e) {
                last = e; // the port may still be held for a moment after a stop
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new IllegalStateException("could not start a fake gRPC server", last);
    }

    private static final class LinkEvents extends PartnerLinkEventsGrpc.PartnerLinkEventsImplBase {
        private final Set<String> ended = ConcurrentHashMap.newKeySet();

        @Override
        public void notifyAccessRevoked(NotifyAccessRevokedRequest request, StreamObserver<NotifyAccessRevokedResponse> out) {
            REVOCATIONS.add(new Received<>(request, AUTH.get()));
            if (UNAVAILABLE_REVOCATIONS.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                out.onError(Status.UNAVAILABLE.withDescription("account-link-service restarting").asRuntimeException());
                return;
            }
            if (UNKNOWN_BANK_LINKS.contains(request.getBankLinkId())) {
                out.onError(Status.NOT_FOUND.withDescription("no link " + request.getBankLinkId() + " with bank sandbox-bank")
                        .asRuntimeException());
                return;
            }
            out.onNext(NotifyAccessRevokedResponse.newBuilder().setRevoked(ended.add(request.getBankLinkId())).build());
            out.onCompleted();
        }
    }

    private static final class Chat extends BusinessMessagingGrpc.BusinessMessagingImplBase {
        private final AtomicLong seq = new AtomicLong();

        @Override
        public void sendMessage(SendMessageRequest request, StreamObserver<SendMessageResponse> out) {
            MESSAGES.add(new Received<>(request, AUTH.get()));
            if (QUIET_CONVERSATION.equals(request.getConversationId()) && request.getUpdateTag() == UpdateTag.UPDATE_TAG_UNSPECIFIED) {
                out.onError(Status.FAILED_PRECONDITION.withDescription("more than 24 hours have passed since the person's last"
                        + " message: set a non-promotional update_tag (ACCOUNT_UPDATE, POST_PURCHASE_UPDATE or HUMAN_AGENT)")
                        .asRuntimeException());
                return;
            }
            long n = seq.incrementAndGet();
            out.onNext(SendMessageResponse.newBuilder().setMessage(Message.newBuilder().setId("msg-" + n)
                    .setConversationId(request.getConversationId()).setSeq(n).setClientMessageId(request.getClientMessageId())
                    .setContent(request.getContent())).build());
            out.onCompleted();
        }

        @Override
        public void subscribe(SubscribeRequest request, StreamObserver<SubscribeResponse> out) {
            SUBSCRIPTIONS.add(new Received<>(request, AUTH.get()));
            ServerCallStreamObserver<SubscribeResponse> stream = (ServerCallStreamObserver<SubscribeResponse>) out;
            synchronized (INBOX) {
                if (request.getAfterPosition() > POSITION.get()) {
                    // a position from another history (what AgentInbox takes as "start over")
                    stream.onError(Status.INVALID_ARGUMENT.withDescription("after_position is beyond the end of the inbox")
                            .asRuntimeException());
                    return;
                }
                for (InboxEvent e : INBOX) {
                    if (e.getPosition() > request.getAfterPosition()) {
                        stream.onNext(SubscribeResponse.newBuilder().setEvent(e).build());
                    }
                }
                STREAMS.add(stream);
            }
        }

        @Override
        public void markRead(MarkReadRequest request, StreamObserver<MarkReadResponse> out) {
            READS.add(new Received<>(request, AUTH.get()));
            out.onNext(MarkReadResponse.newBuilder().setReadSeq(request.getSeq()).build());
            out.onCompleted();
        }

        @Override
        public void setTyping(SetTypingRequest request, StreamObserver<SetTypingResponse> out) {
            TYPING.add(new Received<>(request, AUTH.get()));
            out.onNext(SetTypingResponse.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void listConversations(ListConversationsRequest request, StreamObserver<ListConversationsResponse> out) {
            out.onNext(ListConversationsResponse.newBuilder().addConversations(Conversation.newBuilder().setId(BANK_CONVERSATION)
                    .setPersonRef("pr-1").setPersonDisplayName("Ada").setLastSeq(2).setUnreadCount(1)).build());
            out.onCompleted();
        }

        @Override
        public void getHistory(GetHistoryRequest request, StreamObserver<GetHistoryResponse> out) {
            HISTORY_CALLS.add(new Received<>(request, AUTH.get()));
            if (!BANK_CONVERSATION.equals(request.getConversationId())) {
                out.onError(Status.NOT_FOUND.withDescription("conversation not found").asRuntimeException());
                return;
            }
            out.onNext(GetHistoryResponse.newBuilder()
                    .addMessages(personText(BANK_CONVERSATION, 1, "Can you check my card?").getMessage())
                    .addMessages(Message.newBuilder().setId("m-card").setConversationId(BANK_CONVERSATION).setSeq(2)
                            .setSender(SenderKind.SENDER_KIND_PERSON).setContent(MessageContent.newBuilder()
                                    .setAccountCard(AccountCard.newBuilder().setCardId("card-1").setTitle("Balance")
                                            .setAccountDisplayName("Current account").setMaskedNumber("•••• 1234")
                                            .addLines("Available  £1,234.56"))))
                    .build());
            out.onCompleted();
        }
    }

    /**
     * A valid partner token of the business, as chat-service and account-link-service would accept it: signed with the
     * issuer's key for the services' audience, not expired, of group partner, with the business's id.
     */
    public static void assertPartnerToken(String authorization, String businessId) throws Exception {
        org.junit.jupiter.api.Assertions.assertTrue(authorization.startsWith("Bearer "), "an authorization header is sent");
        var claims = io.commercechat.testkit.TestIssuer.get().verified(authorization.substring("Bearer ".length()));
        org.junit.jupiter.api.Assertions.assertEquals(businessId, claims.getStringClaimValue("business_id"));
        org.junit.jupiter.api.Assertions.assertTrue(claims.getStringListClaimValue("groups").contains("partner"),
                claims.toJson());
    }
}
