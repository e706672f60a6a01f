package io.commercechat.accounts.client;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * Answers of outgoing gRPC calls (and of the identity provider) arrive on other threads; the work
 * after them (Hibernate Reactive sessions, which live on the caller's Vert.x context) must go on
 * where the call started. Every client call therefore ends with {@link #resume}.
 */
public final class CallerContext {

    private CallerContext() {}

    /** Emits the call's item or failure on the Vert.x context that subscribed (unchanged outside one). */
    public static <T> Uni<T> resume(Uni<T> call) {
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            return context == null ? call : call.emitOn(executor(context));
        });
    }

    public static <T> Multi<T> resume(Multi<T> stream) {
        return Multi.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            return context == null ? stream : stream.emitOn(executor(context));
        });
    }

    private static Executor executor(Context context) {
        return task -> {
            if (Vertx.currentContext() == context) {
                task.run();
            } else {
                context.runOnContext(ignored -> task.run());
            }
        };
    }
}
