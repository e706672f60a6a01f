package io.commercechat.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/** Helpers for calling gRPC services under test over the network with a bearer token. */
public final class GrpcCalls {

    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private GrpcCalls() {}

    /** Call credentials that send {@code authorization: Bearer <token>}. */
    public static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + token);
                applier.apply(headers);
            }
        };
    }

    /** The port the Quarkus application under test listens on (HTTP and gRPC share it). */
    public static int testPort() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    }

    /**
     * Starts a call, sends {@code requests} (none at all, or more than a unary call takes) and half-closes: the status
     * it ends with. What the stubs never do, to see how a service answers a client that breaks the call's contract.
     */
    public static <Q, R> Status halfClosedAfter(Channel channel, MethodDescriptor<Q, R> method, CallOptions options,
            List<Q> requests) throws Exception {
        CompletableFuture<Status> closed = new CompletableFuture<>();
        ClientCall<Q, R> call = channel.newCall(method, options);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(1);
        requests.forEach(call::sendMessage);
        call.halfClose();
        return closed.get(20, TimeUnit.SECONDS);
    }

    /** Runs the call and asserts that it fails with the code and a non-empty description. */
    public static StatusRuntimeException assertStatus(Status.Code expected, Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            assertEquals(expected, e.getStatus().getCode(), "status (" + e.getStatus().getDescription() + ")");
            assertFalse(e.getStatus().getDescription() == null || e.getStatus().getDescription().isBlank(),
                    "a " + expected + " must say why");
            return e;
        }
        return fail("expected " + expected + " but the call succeeded");
    }
}
