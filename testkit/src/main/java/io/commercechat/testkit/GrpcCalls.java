package io.commercechat.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Executor;
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
