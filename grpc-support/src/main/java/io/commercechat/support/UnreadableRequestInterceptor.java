package io.commercechat.support;

import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Answers a unary or server-streaming call that carried no readable request, or more than one, with INVALID_ARGUMENT,
 * in every service that depends on this jar, where grpc-java's handler answers INTERNAL "Half-closed without a request"
 * or "Too many requests".
 * <p>
 * How an unreadable request surfaces: the services serve gRPC on the HTTP port (use-separate-server=false), through
 * vertx-grpc's GrpcServiceBridge. Its ReadStreamAdapter parses each message in a Vert.x stream handler; the
 * marshaller's exception (INTERNAL "Invalid protobuf byte sequence": garbage, a truncated message, invalid UTF-8 in a
 * proto3 string) is dropped by Vert.x's InboundBuffer, which has no exception handler there: no onMessage, no cancel,
 * nothing logged. The end of the stream then arrives as onHalfClose without a message, exactly as for a client that
 * sent none, so both are answered here. (grpc-java's own Netty server, which the services do not use, would instead
 * reset the stream with UNKNOWN from ServerImpl, past every interceptor.)
 * <p>
 * Only what could be read is counted: an unreadable message beside a readable one is dropped unseen, and the call is
 * served with the readable one. Client-streaming and bidi calls pass through: for them no message is a valid request.
 * <p>
 * Authentication is not this interceptor's concern. Quarkus' GrpcSecurityInterceptor has a higher priority than this
 * one (the default 0), so it runs outside it; where the HTTP layer refuses a call without a token (consent-service,
 * account-link-service, chat-service's BusinessMessaging) that answer comes first. Where the method checks the caller
 * itself (the sandbox bank), a call without a token and without a readable request is told INVALID_ARGUMENT and the
 * request type's name, which the shared contract publishes anyway, and nothing runs.
 */
@ApplicationScoped
@GlobalInterceptor
public class UnreadableRequestInterceptor implements ServerInterceptor {

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getType().clientSendsOneMessage()) {
            return next.startCall(call, headers);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            /** Listener events come one at a time, in order (as grpc-java's own UnaryServerCallListener relies on). */
            private boolean received;
            /** Closed here: the handler never runs the method, and hears no more of the request. */
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                if (received) {
                    // grpc-java's handler would answer INTERNAL "Too many requests"; the client broke the contract
                    refuse(call, "the call carried more than one " + expected(call.getMethodDescriptor())
                            + ": it takes exactly one");
                    return;
                }
                received = true;
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (refused) {
                    return;
                }
                if (received) {
                    super.onHalfClose();
                    return;
                }
                // Not delegated: the handler runs the method only on a half-close with a request, so it has not run,
                // and this close is the call's only one (delegating would close it a second time, with INTERNAL).
                refuse(call, unreadable(call.getMethodDescriptor()));
            }

            private void refuse(ServerCall<Q, R> call, String description) {
                refused = true;
                call.close(Status.INVALID_ARGUMENT.withDescription(description), new Metadata());
            }
        };
    }

    /** The sentence for the caller: which message the call should have carried (the bytes it did carry are not echoed). */
    static String unreadable(MethodDescriptor<?, ?> method) {
        return "the request could not be read: the call carried no valid " + expected(method);
    }

    private static String expected(MethodDescriptor<?, ?> method) {
        return method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> proto
                && proto.getMessagePrototype() instanceof Message prototype
                ? prototype.getDescriptorForType().getFullName() + " message"
                : "request for " + method.getFullMethodName();
    }
}
