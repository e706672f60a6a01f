package io.commercechat.support;

import io.grpc.Context;
import io.grpc.ServerCall;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.function.Supplier;

/**
 * gRPC's flow control for one server stream: whether its transport takes more messages now. Quarkus' Mutiny stubs
 * (3.33) subscribe to a stream's Multi with unbounded demand and never look at readiness, so a producer that reads
 * the database as fast as it answers would queue a whole inbox or log on the heap for a client that reads slowly.
 * Such streams (chat's inbox feed, consent's event log) wait on {@link #await()} before each read instead;
 * {@link StreamReadinessInterceptor} puts one of these in the call's gRPC context and reports the transport's onReady.
 */
public final class StreamReadiness {

    static final Context.Key<StreamReadiness> KEY = Context.key("commercechat.stream-readiness");

    private final ServerCall<?, ?> call;
    /** Guarded by this. */
    private UniEmitter<? super Void> waiting;

    StreamReadiness(ServerCall<?, ?> call) {
        this.call = call;
    }

    /** The readiness of the server stream being called, or null outside one. */
    public static StreamReadiness current() {
        return KEY.get();
    }

    /**
     * What a producer waits on before each read: {@link #await()} of the server stream being called (read it on the
     * call's thread, where its gRPC context is), or nothing outside one.
     */
    public static Supplier<Uni<Void>> ofCurrentStream() {
        StreamReadiness readiness = current();
        return readiness == null ? () -> Uni.createFrom().voidItem() : readiness::await;
    }

    /** Completes at once while the transport takes messages, else when it drains (a cancelled call never does). */
    public Uni<Void> await() {
        return Uni.createFrom().emitter(emitter -> {
            synchronized (this) {
                if (!call.isReady()) {
                    waiting = emitter;
                    return;
                }
            }
            emitter.complete(null);
        });
    }

    /** The transport's onReady: isReady() is true by then, so a waiter that checked earlier is let go here. */
    void ready() {
        UniEmitter<? super Void> emitter;
        synchronized (this) {
            emitter = waiting;
            waiting = null;
        }
        if (emitter != null) {
            emitter.complete(null);
        }
    }
}
