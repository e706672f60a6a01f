package io.commercechat.accounts.link.service;

import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.clock.DatabaseClock;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.grpc.Status;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Ends the consents of links that ended while consent-service could not be told (links.consent_end_due_at): a failed
 * link's (V3; a consent the person authorised must not stay AUTHORISED for a link that does not exist), a link the
 * person unlinked or replaced with a new link to the same bank (the link ends here at once; the consent is revoked for
 * them, as ACTOR_USER, as soon as consent-service answers) and a link whose bank ended access (likewise, as ACTOR_BANK;
 * V9). Retried with growing backoff until consent-service has ended it; replicas share the work through row claims.
 */
@ApplicationScoped
public class FailedLinkConsents {

    private static final Logger LOG = Logger.getLogger(FailedLinkConsents.class);
    /** How long an ended link's consent is left to the call that ended it (Unlink, the bank's notice, a failure). */
    static final Duration LEASE = Duration.ofSeconds(30);
    /**
     * How long the sweep's claim on a row lasts: longer than its batch can take (20 rows one after another, each up to
     * two consent-service calls and a token fetch), so that no other replica takes a row while it is worked on.
     */
    private static final Duration SWEEP_LEASE = Duration.ofMinutes(5);

    private final LinkRepository links;
    private final ConsentClient consents;
    private final AccessEnding ending;
    private final StuckWork stuck;
    private final DatabaseClock clock;

    public FailedLinkConsents(LinkRepository links, ConsentClient consents, AccessEnding ending, StuckWork stuck,
            DatabaseClock clock) {
        this.stuck = stuck;
        this.clock = clock;
        this.links = links;
        this.consents = consents;
        this.ending = ending;
    }

    /**
     * Ends a link as REVOKED, for the person who unlinked it or as the bank's doing ({@code byBank}), whatever
     * consent-service says, then revokes its consent now; when consent-service cannot be told, the sweep does. The
     * consent's end is written due after a lease with the link's end, so the sweep takes it only if this call does not
     * get to clear it. Emits whether this call ended the link: false when someone else just did (the consent's end, a
     * bank, another Unlink), who sees to the consent.
     */
    Uni<Boolean> revokeLink(Link link, String reason, boolean byBank, String personToken) {
        return ending.end(link, LinkStatus.LINK_STATUS_REVOKED, reason, LEASE, byBank)
                .call(endedHere -> endedHere ? endThenClear(link, true, byBank, personToken, reason, 1)
                        : Uni.createFrom().voidItem());
    }

    /**
     * Revokes, for the person, the consent of a link that ended here as their doing, its consent's end written due after
     * {@link #LEASE} with the link's end (a link their new link to the same bank replaced, LinkReplacement), and clears
     * the mark. When consent-service cannot be told now, the mark is rescheduled and the sweep revokes it. Never fails.
     */
    Uni<Void> revokeForPerson(Link link, String reason, String personToken) {
        return endThenClear(link, true, false, personToken, reason, 1);
    }

    /**
     * Ends a failed link's consent: rejected while it awaits authorisation, revoked once authorised, nothing when it
     * has ended already. {@code personToken} null: as this service (the sweep has no person's token).
     */
    Uni<Void> endConsent(String personToken, String consentId, String reason) {
        return eitherEnds(consents.reject(personToken, consentId, reason), () -> consents.revokeAsSystem(consentId, reason));
    }

    /**
     * {@code first}; when consent-service refuses it for the consent's state (FAILED_PRECONDITION), {@code second};
     * when that is refused too, the consent has ended already.
     */
    private static Uni<Void> eitherEnds(Uni<?> first, Supplier<Uni<?>> second) {
        return first.replaceWithVoid()
                .onFailure(e -> LinkFlow.code(e) == Status.Code.FAILED_PRECONDITION)
                .recoverWithUni(refused -> second.get().replaceWithVoid()
                        .onFailure(e -> LinkFlow.code(e) == Status.Code.FAILED_PRECONDITION).recoverWithNull());
    }

    /**
     * Revokes the consent of a REVOKED link, as the bank's doing when the bank ended it, else for the person, who
     * unlinked it: nothing when it has ended already (expired, or revoked elsewhere). {@code personToken} null: as
     * this service, still with ACTOR_USER for the person's doing.
     */
    private Uni<Void> revokeRevoked(Link link, boolean byBank, String personToken, String reason) {
        String consentId = link.consentId.toString();
        // not (yet) authorised: the link ended while it was being completed; rejected, so that the completion still
        // under way cannot authorise it afterwards
        return eitherEnds(byBank ? consents.revokeAsBank(consentId, reason) : consents.revokeAsUser(personToken, consentId, reason),
                () -> consents.reject(personToken, consentId, reason));
    }

    @Scheduled(every = "${accounts.consent-end-retry-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> endDueConsents() {
        return endDue().onFailure().recoverWithUni(e -> {
            LOG.warnf("consent-end sweep failed (%s)", e.getClass().getSimpleName());
            return Uni.createFrom().voidItem();
        });
    }

    /**
     * Ends the due consents one after another, a batch of 20 at a time until fewer are due (at most
     * {@link SweepBatches#MAX_PER_RUN} batches); a failure only reschedules its link.
     */
    public Uni<Void> endDue() {
        return SweepBatches.run(batch -> clock.now().chain(now -> links.claimConsentEndsDue(now, SWEEP_LEASE, batch)),
                        this::end)
                .chain(() -> links.countConsentEndsAttemptedAtLeast(StuckWork.AFTER_ATTEMPTS))
                .invoke(stuck::consentEnds)
                .replaceWithVoid();
    }

    private Uni<Void> end(Link link) {
        String reason = Validate.composedReason(link.statusReason.isEmpty() ? "the link failed" : link.statusReason);
        // only the person's Unlink and the bank's notification leave a REVOKED link with its consent's end due
        return endThenClear(link, link.status == LinkStatus.LINK_STATUS_REVOKED, link.consentEndByBank, null, reason,
                link.consentEndAttempts);
    }

    /** Ends the consent and clears the link's mark; a failure reschedules it after {@code failedAttempts}' backoff. */
    private Uni<Void> endThenClear(Link link, boolean revoked, boolean byBank, String personToken, String reason,
            int failedAttempts) {
        String kind = !revoked ? "failed" : byBank ? "bank-ended" : "unlinked";
        return (revoked ? revokeRevoked(link, byBank, personToken, reason) : endConsent(personToken, link.consentId.toString(), reason))
                .chain(() -> links.consentEnded(link.id))
                .invoke(() -> LOG.infof("consent %s of %s link %s ended", link.consentId, kind, link.id))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    long backoff = AccessEnding.backoffSeconds(failedAttempts);
                    StuckWork.failed(LOG, "could not end consent " + link.consentId + " of " + kind + " link " + link.id
                            + ": " + LinkFlow.code(e), failedAttempts, backoff);
                    // failing that too, the lease runs out and the sweep takes it then
                    return clock.now().chain(now -> links.consentEndFailed(link.id, now.plusSeconds(backoff))).replaceWithVoid()
                            .onFailure().recoverWithNull();
                });
    }
}
