package io.commercechat.sandbox;

import io.commercechat.proto.partner.v1.BusinessMessagingGrpc;
import io.commercechat.proto.partner.v1.Message;
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
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test doubles of the sandbox's callers' counterparts, on loopback: account-link-service's
 * PartnerLinkEvents and chat-service's BusinessMessaging. They only record what they receive
 * (with the authorization header) so tests can check the sandbox's outgoing calls.
 */
public final class FakePlatform {

    public record Received<T>(T request, String authorization) {}

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> AUTH = Context.key("authorization");

    public static final List<Received<NotifyAccessRevokedRequest>> REVOCATIONS = new CopyOnWriteArrayList<>();
    public static final List<Received<SendMessageRequest>> MESSAGES = new CopyOnWriteArrayList<>();

    private static Server linkEvents;
    private static Server chat;

    private FakePlatform() {}

    public static synchronized int startLinkEvents() {
        if (linkEvents == null) {
            linkEvents = start(new LinkEvents());
        }
        return linkEvents.getPort();
    }

    public static synchronized int startChat() {
        if (chat == null || chat.isShutdown()) {
            chat = start(new Chat());
        }
        return chat.getPort();
    }

    /** Makes chat-service unreachable. */
    public static synchronized void stopChat() throws InterruptedException {
        if (chat != null) {
            chat.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static Server start(BindableService service) {
        ServerInterceptor capture = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String auth = headers.get(AUTHORIZATION);
                return Contexts.interceptCall(Context.current().withValue(AUTH, auth == null ? "" : auth), call, headers, next);
            }
        };
        try {
            return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .addService(ServerInterceptors.intercept(service, capture)).build().start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start a fake gRPC server", e);
        }
    }

    private static final class LinkEvents extends PartnerLinkEventsGrpc.PartnerLinkEventsImplBase {
        private final Set<String> ended = ConcurrentHashMap.newKeySet();

        @Override
        public void notifyAccessRevoked(NotifyAccessRevokedRequest request, StreamObserver<NotifyAccessRevokedResponse> out) {
            REVOCATIONS.add(new Received<>(request, AUTH.get()));
            out.onNext(NotifyAccessRevokedResponse.newBuilder().setRevoked(ended.add(request.getBankLinkId())).build());
            out.onCompleted();
        }
    }

    private static final class Chat extends BusinessMessagingGrpc.BusinessMessagingImplBase {
        private final AtomicLong seq = new AtomicLong();

        @Override
        public void sendMessage(SendMessageRequest request, StreamObserver<SendMessageResponse> out) {
            MESSAGES.add(new Received<>(request, AUTH.get()));
            long n = seq.incrementAndGet();
            out.onNext(SendMessageResponse.newBuilder().setMessage(Message.newBuilder().setId("msg-" + n)
                    .setConversationId(request.getConversationId()).setSeq(n).setClientMessageId(request.getClientMessageId())
                    .setContent(request.getContent())).build());
            out.onCompleted();
        }
    }
}
