package io.commercechat.consent.lifecycle.service;

import io.commercechat.consent.grpc.GrpcErrors;
import io.commercechat.consent.lifecycle.repository.ConsentRepository.SweepPosition;
import io.commercechat.consent.lifecycle.service.ConsentLifecycle.SweepStep;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Ends consents that are due (expired, or lapsed while awaiting authorisation) so that consumers
 * of WatchConsentEvents learn about it. Checks enforce expiry on their own; this only records it.
 * Every replica runs it; they share the due consents without waiting for each other (ConsentLifecycle.endNextDue),
 * then each takes a second look, waiting, at those still due (ConsentLifecycle.endNextDueWaiting).
 */
@ApplicationScoped
public class ConsentSweep {

    private static final Logger LOG = Logger.getLogger(ConsentSweep.class);
    private static final int MAX_PER_RUN = 500;

    private final ConsentLifecycle lifecycle;
    /** Where the next second look begins: after the consent the last one could not lock in time (null: the start). */
    private final AtomicReference<SweepPosition> secondLookFrom = new AtomicReference<>();

    public ConsentSweep(ConsentLifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    @Scheduled(every = "${consent.sweep-interval:30s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return sweepOnce().invoke(n -> {
            if (n > 0) {
                LOG.infof("ended %d due consent(s)", n);
            }
        }).onFailure().invoke(e -> LOG.warnf("consent sweep failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /**
     * Ends up to 500 due consents, oldest first, one a transaction; returns how many this run ended. First it passes
     * over a consent that someone else holds (a check in flight, another replica's sweep) rather than wait for it, so
     * that no one's rows hold up the others; then it takes a second look at those still due, waiting for each as a
     * change does (consent.row-lock-timeout): a consent that checks happen to hold at the moment a run reaches it would
     * otherwise be passed over by every run. The second look stops at the first consent still held when its wait runs
     * out, so a run waits out at most one lock wait (rows held for long, a stuck transaction over many consents, cost a
     * run one wait, not one each), and the next run's second look begins after that consent, so one consent held for
     * good does not keep the second look from the others behind it. One whose ending fails is left for the next run;
     * the others are still ended.
     */
    public Uni<Integer> sweepOnce() {
        return pass(false, MAX_PER_RUN).chain(first -> first.size() >= MAX_PER_RUN
                ? Uni.createFrom().item(ended(first)) // more are due than a run ends: the next run goes on
                : pass(true, MAX_PER_RUN - first.size()).map(second -> ended(first) + ended(second)));
    }

    /**
     * Steps through the due consents, oldest first (the second look: after {@link #secondLookFrom}), until none is left
     * or after {@code most} steps.
     */
    private Uni<List<SweepStep>> pass(boolean waitForHolders, int most) {
        AtomicReference<SweepPosition> passed = new AtomicReference<>(waitForHolders ? secondLookFrom.getAndSet(null) : null);
        return Multi.createBy().repeating().uni(() -> endNext(waitForHolders, passed))
                .until(step -> step == SweepStep.NONE_LEFT)
                .select().first(most)
                .collect().asList();
    }

    private static int ended(List<SweepStep> steps) {
        return (int) steps.stream().filter(step -> step == SweepStep.ENDED).count();
    }

    private Uni<SweepStep> endNext(boolean waitForHolders, AtomicReference<SweepPosition> passed) {
        SweepPosition from = passed.get();
        Uni<SweepStep> step = waitForHolders ? lifecycle.endNextDueWaiting(from, passed::set)
                : lifecycle.endNextDue(from, passed::set);
        return step.onFailure().recoverWithItem(e -> {
            SweepPosition claimed = passed.get();
            if (claimed == from) { // it failed before claiming one (the database unreachable, say): the pass ends
                LOG.warnf("consent sweep stopped (%s); the next one starts again", e.getClass().getSimpleName());
                return SweepStep.NONE_LEFT;
            }
            if (waitForHolders && GrpcErrors.lockTimedOut(e)) {
                // still held when the wait ran out: the second look ends here, and the next one begins after it
                secondLookFrom.set(claimed);
                LOG.warnf("consent %s is due but still held elsewhere after consent.row-lock-timeout; the next sweep ends it"
                        + " if it is free by then", claimed.consentId());
                return SweepStep.NONE_LEFT;
            }
            LOG.warnf("consent %s was not ended in this sweep (%s); the next one tries again", claimed.consentId(),
                    e.getClass().getSimpleName());
            return SweepStep.NOT_ENDED;
        });
    }
}
