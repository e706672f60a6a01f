package io.commercechat.support;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Gives every server stream a {@link StreamReadiness} in its gRPC context (unary calls pass through), in every service
 * that depends on this jar.
 */
@ApplicationScoped
@GlobalInterceptor
public class StreamReadinessInterceptor implements ServerInterceptor {

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getType().serverSendsOneMessage()) {
            return next.startCall(call, headers);
        }
        StreamReadiness readiness = new StreamReadiness(call);
        Context context = Context.current().withValue(StreamReadiness.KEY, readiness);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                Contexts.interceptCall(context, call, headers, next)) {
            @Override
            public void onReady() {
                readiness.ready();
                super.onReady();
            }
        };
    }
}
