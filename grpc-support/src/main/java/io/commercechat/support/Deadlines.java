package io.commercechat.support;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Deadlines that answer the caller without cancelling the work. Cancelling a Hibernate Reactive call from a timer's
 * thread (Mutiny's {@code ifNoItem().after(..)}) cancels it off its Vert.x context, mid-transaction, where its session
 * may not be closed (quarkus#51576 reports connections left checked out that way; chat-service's SendBatchesTest did
 * not reproduce it with 24 reads and writes cut off by a frozen database). Here the work runs on to its end, its own
 * session closing as usual, and only its late answer is dropped.
 */
public final class Deadlines {

    private Deadlines() {}

    /**
     * {@code work}'s item or failure, or {@code late}'s failure once {@code deadline} has passed without either. Neither
     * the deadline nor the caller going away cancels {@code work}. Inside Quarkus the late failure comes with the caller's
     * Vert.x context (Quarkus's Mutiny executor carries it to the timer), so what follows it may still open a database
     * session (account-link-service's AccountLinkFlowTest.aReplacementSlowToEndTheEarlierLinkStillAnswersTheNewLink).
     */
    public static <T> Uni<T> answerWithin(Uni<T> work, Duration deadline, Supplier<? extends Throwable> late) {
        // an emitter passes on its first signal only: whichever of the two answers first is the answer
        return Uni.createFrom().emitter(caller -> {
            Cancellable timer = Uni.createFrom().voidItem().onItem().delayIt().by(deadline).subscribe()
                    .with(passed -> caller.fail(late.get()));
            caller.onTermination(timer::cancel);
            work.subscribe().with(caller::complete, caller::fail);
        });
    }
}
