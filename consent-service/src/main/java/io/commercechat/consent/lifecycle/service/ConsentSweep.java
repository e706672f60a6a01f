package io.commercechat.consent.lifecycle.service;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Ends consents that are due (expired, or lapsed while awaiting authorisation) so that consumers
 * of WatchConsentEvents learn about it. Checks enforce expiry on their own; this only records it.
 */
@ApplicationScoped
public class ConsentSweep {

    private static final Logger LOG = Logger.getLogger(ConsentSweep.class);

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

    /**
     * Ends up to 500 due consents, oldest first; returns how many changed. One that fails (its row busy past
     * consent.row-lock-timeout) is left for the next sweep, and the others are still ended.
     */
    public Uni<Integer> sweepOnce() {
        return lifecycle.dueForSweep(500).chain(ids -> Multi.createFrom().iterable(ids)
                .onItem().transformToUniAndConcatenate(id -> lifecycle.endIfDue(id).onFailure().recoverWithItem(e -> {
                    LOG.warnf("consent %s was not ended in this sweep (%s); the next one tries again", id,
                            e.getClass().getSimpleName());
                    return false;
                }))
                .filter(Boolean::booleanValue).collect().asList().map(java.util.List::size));
    }
}
