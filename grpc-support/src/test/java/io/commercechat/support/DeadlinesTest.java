package io.commercechat.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DeadlinesTest {

    private static final class Late extends RuntimeException {}

    @Test
    void anAnswerInTimeIsPassedOn() {
        assertEquals("done", Deadlines.answerWithin(Uni.createFrom().item("done"), Duration.ofSeconds(5), Late::new)
                .await().atMost(Duration.ofSeconds(5)));
        IllegalStateException failed = new IllegalStateException("refused");
        Throwable seen = assertThrows(IllegalStateException.class, () -> Deadlines.answerWithin(
                Uni.createFrom().failure(failed), Duration.ofSeconds(5), Late::new).await().atMost(Duration.ofSeconds(5)));
        assertSame(failed, seen);
    }

    /** The caller hears the deadline, and the work is not cancelled: it runs on and ends as it would have. */
    @Test
    void aLateAnswerFailsTheCallerWithoutCancellingTheWork() throws Exception {
        AtomicReference<UniEmitter<? super String>> work = new AtomicReference<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        Uni<String> slow = Uni.createFrom().<String>emitter(work::set).onCancellation().invoke(() -> cancelled.set(true));
        CompletableFuture<String> answer = Deadlines.answerWithin(slow, Duration.ofMillis(200), Late::new)
                .subscribeAsCompletionStage().toCompletableFuture();
        Throwable e = assertThrows(Exception.class, () -> answer.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof Late, e.toString());
        assertFalse(cancelled.get(), "the work was cancelled");
        work.get().complete("finished late");  // nobody hears it, and nothing fails
        assertFalse(cancelled.get());
    }

    @Test
    void theCallerGoingAwayDoesNotCancelTheWork() {
        AtomicBoolean cancelled = new AtomicBoolean();
        Uni<String> never = Uni.createFrom().<String>nothing().onCancellation().invoke(() -> cancelled.set(true));
        Deadlines.answerWithin(never, Duration.ofSeconds(30), Late::new).subscribe().with(x -> {}).cancel();
        assertFalse(cancelled.get(), "the work was cancelled");
    }
}
