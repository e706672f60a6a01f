package io.commercechat.consent.lifecycle.service;

import io.commercechat.consent.lifecycle.repository.ConsentRepository.SweepPosition;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Ends consents that are due (expired, or lapsed while awaiting authorisation) so that consumers
 * of WatchConsentEvents learn about it. Checks enforce expiry on their own; this only records it.
 * Every replica runs it; they share the due consents without waiting for each other (ConsentLifecycle.endNextDue).
 */
@ApplicationScoped
public class ConsentSweep {

    private static final Logger LOG = Logger.getLogger(ConsentSweep.class);
    private static final int MAX_PER_RUN = 500;

    private final ConsentLifecycle lifecycle;

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

    private enum Step { ENDED, FAILED, NONE_LEFT }

    /**
     * Ends up to 500 due consents, oldest first, one a transaction; returns how many this run ended. A consent that
     * someone else holds (a check in flight, another replica's sweep) is passed over, not waited for, and one that fails
     * is left for the next run; the others are still ended.
     */
    public Uni<Integer> sweepOnce() {
        AtomicReference<SweepPosition> passed = new AtomicReference<>();
        return Multi.createBy().repeating().uni(() -> endNext(passed))
                .until(step -> step == Step.NONE_LEFT)
                .select().first(MAX_PER_RUN)
                .filter(step -> step == Step.ENDED)
                .collect().with(Collectors.counting())
                .map(Long::intValue);
    }

    private Uni<Step> endNext(AtomicReference<SweepPosition> passed) {
        SweepPosition from = passed.get();
        return lifecycle.endNextDue(from, passed::set)
                .map(ended -> ended == null ? Step.NONE_LEFT : Step.ENDED)
                .onFailure().recoverWithItem(e -> {
                    SweepPosition claimed = passed.get();
                    if (claimed == from) { // it failed before claiming one (the database unreachable, say): the run ends
                        LOG.warnf("consent sweep stopped (%s); the next one starts again", e.getClass().getSimpleName());
                        return Step.NONE_LEFT;
                    }
                    LOG.warnf("consent %s was not ended in this sweep (%s); the next one tries again", claimed.consentId(),
                            e.getClass().getSimpleName());
                    return Step.FAILED;
                });
    }
}
