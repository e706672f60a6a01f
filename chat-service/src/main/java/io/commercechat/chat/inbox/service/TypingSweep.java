package io.commercechat.chat.inbox.service;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.inbox.repository.InboxRepository;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * Deletes typing events once they are older than {@code chat.typing-kept}: an indicator lasts seconds, and a stream
 * that resumes later has no use for it. Every replica sweeps every {@code chat.typing-sweep-interval}, in batches
 * that skip the rows another replica's sweep holds, so replicas never wait for each other.
 */
@ApplicationScoped
public class TypingSweep {

    private static final Logger LOG = Logger.getLogger(TypingSweep.class);
    private static final int BATCH = 1000;
    private static final int MAX_BATCHES = 50;

    private final InboxRepository inbox;
    private final ChatConfig config;
    private final Vertx vertx;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final LongAdder deleted = new LongAdder();
    private long timer = -1;

    public TypingSweep(InboxRepository inbox, ChatConfig config, Vertx vertx, MeterRegistry metrics) {
        this.inbox = inbox;
        this.config = config;
        this.vertx = vertx;
        FunctionCounter.builder("chat.inbox.typing.deleted", deleted, LongAdder::sum)
                .description("typing events deleted after chat.typing-kept").register(metrics);
    }

    void start(@Observes StartupEvent ignored) {
        timer = vertx.setPeriodic(config.typingSweepInterval().toMillis(), id -> sweep().subscribe().with(n -> {}, f -> {}));
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /**
     * One sweep, batch after batch until a batch is not full or {@link #MAX_BATCHES} were deleted (the next sweep goes
     * on: a backlog, e.g. of the events kept before typing was limited, is worked off without a burst of writes);
     * completes with how many it deleted.
     */
    public Uni<Long> sweep() {
        return Uni.createFrom().deferred(() -> {
            if (!sweeping.compareAndSet(false, true)) {
                return Uni.createFrom().item(0L);  // the last one is still going
            }
            long[] total = {0};
            return Uni.createFrom().deferred(() -> inbox.deleteTypingOlderThan(config.typingKept(), BATCH))
                    .invoke(n -> {
                        total[0] += n;
                        deleted.add(n);
                    })
                    .repeat().until(n -> n < BATCH)
                    .select().first(MAX_BATCHES)
                    .collect().last()
                    .map(last -> total[0])
                    .onFailure().invoke(f -> LOG.warnf("deleting old typing events failed (%s); the next sweep tries again",
                            f.getClass().getSimpleName()))
                    .eventually(() -> sweeping.set(false));
        });
    }
}
