package io.commercechat.systemtests.client;

import io.commercechat.proto.partner.v1.BusinessMessagingGrpc;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.Message;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.proto.partner.v1.Text;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.Received;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A partner bank's agent system on chat-service's partner gRPC edge ({@code BusinessMessaging}), with the bank's
 * client-credentials token from Keycloak.
 */
public final class BankAgent implements AutoCloseable {

    private final ManagedChannel channel;
    private final String token;

    public BankAgent(int chatPort, String token) {
        this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", chatPort).usePlaintext().build();
        this.token = token;
    }

    private BusinessMessagingGrpc.BusinessMessagingBlockingStub blocking() {
        return BusinessMessagingGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public SendMessageResponse sendText(String conversationId, String clientMessageId, String text) {
        return blocking().sendMessage(SendMessageRequest.newBuilder().setConversationId(conversationId)
                .setClientMessageId(clientMessageId)
                .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody(text))).build());
    }

    /** The newest page of a conversation's history as the bank sees it. */
    public List<Message> history(String conversationId) {
        return blocking().getHistory(GetHistoryRequest.newBuilder().setConversationId(conversationId).setPageSize(100).build())
                .getMessagesList();
    }

    /** Opens {@code Subscribe} after a position (0: from the start of the bank's inbox). */
    public Inbox subscribe(long afterPosition) {
        return new Inbox(afterPosition);
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }

    /** One Subscribe stream. */
    public final class Inbox implements AutoCloseable {
        private volatile ClientCallStreamObserver<SubscribeRequest> call;
        private volatile Throwable ended;
        private final Received<InboxEvent> events = new Received<>("inbox event",
                () -> ended == null ? null : ended.toString());

        private Inbox(long afterPosition) {
            BusinessMessagingGrpc.newStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                    .subscribe(SubscribeRequest.newBuilder().setAfterPosition(afterPosition).build(),
                            new ClientResponseObserver<SubscribeRequest, SubscribeResponse>() {
                                @Override
                                public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                                    call = requestStream;
                                }

                                @Override
                                public void onNext(SubscribeResponse value) {
                                    events.add(value.getEvent());
                                }

                                @Override
                                public void onError(Throwable t) {
                                    ended = t;
                                }

                                @Override
                                public void onCompleted() {
                                    ended = new IllegalStateException("the stream completed");
                                }
                            });
        }

        /** Reads events until one matches; returns every event read (the match last). */
        public List<InboxEvent> until(Predicate<InboxEvent> match, Duration timeout) throws InterruptedException {
            return events.until(match, timeout);
        }

        /** Every event that arrives within the window. */
        public List<InboxEvent> drain(Duration window) throws InterruptedException {
            return events.drain(window);
        }

        /** Waits until the stream has ended (e.g. the server was killed); returns why. */
        public Throwable awaitEnd(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (ended == null && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            return ended;
        }

        @Override
        public void close() {
            if (call != null) {
                call.cancel("agent disconnects", null);
            }
        }
    }
}
