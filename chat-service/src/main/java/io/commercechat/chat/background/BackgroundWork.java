package io.commercechat.chat.background;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Work nobody waits for (the assistant's answers, consent events, renewal offers) runs on a fresh
 * duplicated Vert.x context: Hibernate Reactive needs one, and it must not share the finished
 * request's.
 */
@ApplicationScoped
public class BackgroundWork {

    private static final Logger LOG = Logger.getLogger(BackgroundWork.class);

    private final Vertx vertx;

    public BackgroundWork(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Runs {@code work} on its own context; the result arrives back on that context. */
    public <T> Uni<T> call(Supplier<Uni<T>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        // Hibernate Reactive insists on a context flagged as isolated
        VertxContextSafetyToggle.setContextSafe(context, true);
        return Uni.createFrom().emitter(em -> context.runOnContext(v -> {
            try {
                work.get().subscribe().with(em::complete, em::fail);
            } catch (RuntimeException e) {
                em.fail(e);
            }
        }));
    }

    /** Fire and forget; a failure is logged by its class only (messages may carry ids). */
    public void run(String what, Supplier<Uni<?>> work) {
        call(work::get).subscribe().with(ok -> {}, f -> {
            LOG.warnf("%s failed (%s)", what, f.getClass().getSimpleName());
            LOG.debug(what + " failure", f);
        });
    }
}
