package io.commercechat.accounts.link.service;

import io.commercechat.accounts.clock.DatabaseClock;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Fails links whose completion was abandoned: CompleteLink claimed the state, then the link stayed PENDING for longer
 * than {@code accounts.abandoned-completion-after} (the process stopped between the code exchange and the activation,
 * or failing the link failed). Such a link never becomes ACTIVE, and its consent may already be authorised: it is
 * failed and its consent ended as LinkFlow fails a link (FailedLinkConsents, retried until done). A bank token issued
 * to that completion lived only in the stopped process: nothing here knows it, so nothing here can revoke it.
 * Replicas share the work through row locks (LinkRepository.failAbandonedCompletions).
 */
@ApplicationScoped
public class AbandonedCompletions {

    static final String REASON = "the link could not be completed: start the link again";
    private static final Logger LOG = Logger.getLogger(AbandonedCompletions.class);
    private static final int BATCH_SIZE = 20;

    private final LinkRepository links;
    private final FailedLinkConsents failedLinkConsents;
    private final Duration after;
    private final DatabaseClock clock;

    public AbandonedCompletions(LinkRepository links, FailedLinkConsents failedLinkConsents, AccountsConfig config,
            DatabaseClock clock) {
        this.links = links;
        this.clock = clock;
        this.failedLinkConsents = failedLinkConsents;
        this.after = config.abandonedCompletionAfter();
        if (after.isNegative() || after.isZero()) {
            throw new IllegalStateException("accounts.abandoned-completion-after must be positive, not " + after);
        }
    }

    @Scheduled(every = "${accounts.abandoned-completion-sweep-interval:1m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> failOnSchedule() {
        return failAbandoned().replaceWithVoid().onFailure().recoverWithUni(e -> {
            LOG.warnf("abandoned-completion sweep failed (%s)", e.getClass().getSimpleName());
            return Uni.createFrom().voidItem();
        });
    }

    /** Fails every abandoned completion, batch after batch, then ends their consents; emits how many it failed. */
    public Uni<Integer> failAbandoned() {
        // claims are stamped by the database's clock (LinkFlow.complete): so is the age they are compared with
        return clock.now().chain(now -> Multi.createBy().repeating()
                .uni(() -> links.failAbandonedCompletions(now.minus(after), REASON, now, BATCH_SIZE))
                .whilst(batch -> batch.size() == BATCH_SIZE)
                .invoke(batch -> batch.forEach(this::report))
                .collect().with(Collectors.summingInt(List::size)))
                // at once rather than at FailedLinkConsents' next run; what fails here is left to that run
                .call(failed -> failed == 0 ? Uni.createFrom().voidItem()
                        : failedLinkConsents.endDue().onFailure().recoverWithNull());
    }

    private void report(Link link) {
        LOG.warnf("link %s with bank %s was still pending %s after CompleteLink claimed it: failed, its consent is ended;"
                + " a bank token issued to that completion, if any, was never stored and cannot be revoked here",
                link.id, link.bankId, after);
    }
}
