package io.commercechat.accounts.link.service;

import io.commercechat.accounts.clock.DatabaseClock;
import io.commercechat.accounts.link.repository.LinkedAccountRepository;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Erases what the bank said about the accounts of links that ended without it: links that ended before V6, or on a
 * replica still running the previous version during a rollout. A link that ends here erases its accounts in the same
 * transaction (AccessEnding); this is the safety net, so it runs rarely ({@code accounts.ended-link-erasure-interval},
 * 1 h, and once right after start), in batches that skip the rows another replica holds.
 */
@ApplicationScoped
public class EndedLinkErasure {

    private static final Logger LOG = Logger.getLogger(EndedLinkErasure.class);
    static final int BATCH_SIZE = 500;

    private final LinkedAccountRepository accounts;
    private final DatabaseClock clock;

    public EndedLinkErasure(LinkedAccountRepository accounts, DatabaseClock clock) {
        this.accounts = accounts;
        this.clock = clock;
    }

    @Scheduled(every = "${accounts.ended-link-erasure-interval:1h}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> eraseOnSchedule() {
        return erase().replaceWithVoid().onFailure().recoverWithUni(e -> {
            LOG.warnf("erasing the accounts of ended links failed (%s); the next run tries again", e.getClass().getSimpleName());
            return Uni.createFrom().voidItem();
        });
    }

    /** Erases them all, batch after batch; emits how many accounts it erased. */
    public Uni<Integer> erase() {
        return Multi.createBy().repeating().uni(() -> clock.now().chain(now -> accounts.eraseOfEndedLinks(now, BATCH_SIZE)))
                .whilst(erased -> erased == BATCH_SIZE)
                .collect().with(Collectors.summingInt(Integer::intValue))
                .invoke(erased -> {
                    if (erased > 0) {
                        LOG.infof("erased the bank data of %d accounts of ended links", erased);
                    }
                });
    }
}
