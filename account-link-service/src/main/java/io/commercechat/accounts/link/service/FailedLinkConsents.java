package io.commercechat.accounts.link.service;

import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.grpc.Status;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Ends the consents of failed links that consent-service could not be told about when they failed (V3): a consent
 * the person authorised must not stay AUTHORISED for a link that does not exist. Retried with growing backoff until
 * consent-service has ended it; replicas share the work through row claims.
 */
@ApplicationScoped
public class FailedLinkConsents {

    private static final Logger LOG = Logger.getLogger(FailedLinkConsents.class);
    private static final Duration LEASE = Duration.ofSeconds(30);

    private final LinkRepository links;
    private final ConsentClient consents;

    public FailedLinkConsents(LinkRepository links, ConsentClient consents) {
        this.links = links;
        this.consents = consents;
    }

    /**
     * Ends a failed link's consent: rejected while it awaits authorisation, revoked once authorised, nothing when it
     * has ended already. {@code personToken} null: as this service (the sweep has no person's token).
     */
    Uni<Void> endConsent(String personToken, String consentId, String reason) {
        return consents.reject(personToken, consentId, reason).replaceWithVoid()
                .onFailure(e -> LinkFlow.code(e) == Status.Code.FAILED_PRECONDITION)
                .recoverWithUni(notAwaiting -> consents.revokeAsSystem(consentId, reason).replaceWithVoid()
                        .onFailure(e -> LinkFlow.code(e) == Status.Code.FAILED_PRECONDITION).recoverWithNull());  // ended already
    }

    @Scheduled(every = "${accounts.consent-end-retry-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> endDueConsents() {
        return endDue().onFailure().recoverWithUni(e -> {
            LOG.warnf("failed-link consent sweep failed (%s)", e.getClass().getSimpleName());
            return Uni.createFrom().voidItem();
        });
    }

    /** Ends the due consents one after another; a failure only reschedules its link. */
    Uni<Void> endDue() {
        return links.claimConsentEndsDue(Instant.now(), LEASE, 20)
                .chain(due -> Multi.createFrom().iterable(due).onItem().transformToUniAndConcatenate(this::end)
                        .collect().asList().replaceWithVoid());
    }

    private Uni<Void> end(Link link) {
        String reason = Validate.composedReason(link.statusReason.isEmpty() ? "the link failed" : link.statusReason);
        return endConsent(null, link.consentId.toString(), reason)
                .chain(() -> links.consentEnded(link.id))
                .invoke(() -> LOG.infof("consent %s of failed link %s ended", link.consentId, link.id))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    long backoff = AccessEnding.backoffSeconds(link.consentEndAttempts);
                    LOG.warnf("could not end consent %s of failed link %s (%s); retrying in %ds", link.consentId, link.id,
                            LinkFlow.code(e), backoff);
                    return links.consentEndFailed(link.id, Instant.now().plusSeconds(backoff)).replaceWithVoid()
                            .onFailure().recoverWithNull();
                });
    }
}
