package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.clock.DatabaseClock;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.link.repository.LinkedAccountRepository;
import io.commercechat.accounts.token.repository.BankTokenRepository;
import io.commercechat.accounts.token.repository.BankTokenRepository.PendingRevocation;
import io.commercechat.accounts.token.service.TokenCipher;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Ends a link's access, whoever ended it (person, bank, expiry): the link leaves ACTIVE, the bank
 * token becomes unusable at once, what the bank said about the link's accounts is erased (same
 * transaction), and the bank is told with RevokeAccess. When the bank cannot be
 * reached, the revocation is retried with growing backoff until the bank confirmed; only then is
 * the token row deleted. Every step is idempotent (the bank's RevokeAccess too), so replicas,
 * replays and two endings of one link at once are harmless.
 */
@ApplicationScoped
public class AccessEnding {

    private static final Logger LOG = Logger.getLogger(AccessEnding.class);
    /**
     * How long a sweep's claim on a row lasts: longer than its batch can take (20 rows one after another, each a bank
     * call with its retries and maybe a token fetch), so that no other replica takes a row while it is worked on.
     */
    private static final Duration LEASE = Duration.ofMinutes(5);
    /** A token marked as its link ends is the ending's to revoke first; the sweep takes it only after this. */
    static final Duration ENDING_FIRST = Duration.ofSeconds(30);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(10);

    private final LinkRepository links;
    private final LinkedAccountRepository accounts;
    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final BankRegistry banks;
    private final StuckWork stuck;
    private final DatabaseClock clock;

    public AccessEnding(LinkRepository links, LinkedAccountRepository accounts, BankTokenRepository tokens, TokenCipher cipher,
            BankRegistry banks, StuckWork stuck, DatabaseClock clock) {
        this.stuck = stuck;
        this.clock = clock;
        this.links = links;
        this.accounts = accounts;
        this.tokens = tokens;
        this.cipher = cipher;
        this.banks = banks;
    }

    /** Ends an ACTIVE (or PENDING) link; emits whether this call ended it. */
    public Uni<Boolean> end(Link link, LinkStatus to, String reason) {
        return end(link, to, reason, null, false);
    }

    /**
     * The same, with the link's consent still to be ended in consent-service: due {@code consentEndAfter} after the
     * link's end, written with it (FailedLinkConsents ends it then, unless the caller has done so and cleared the mark),
     * as the bank's doing when {@code byBank}, else the person's.
     */
    public Uni<Boolean> end(Link link, LinkStatus to, String reason, Duration consentEndAfter, boolean byBank) {
        return end(link, to, reason, consentEndAfter, byBank, true);
    }

    /**
     * The same for an ending that consent-service announced: the bank is told by the revocation sweep, due at once,
     * instead of before this returns. The consent event stream is followed one event after another, so waiting for a
     * slow bank here held every later event of every bank, and with them links that stayed ACTIVE (a mass expiry
     * behind a bank answering in 2 s: minutes). Locally the ending is complete when this returns: the link has left
     * ACTIVE, its token is unusable and its bank data erased.
     */
    public Uni<Boolean> endLeavingTheBankToTheSweep(Link link, LinkStatus to, String reason) {
        return end(link, to, reason, null, false, false);
    }

    private Uni<Boolean> end(Link link, LinkStatus to, String reason, Duration consentEndAfter, boolean byBank,
            boolean tellBankNow) {
        // stamped, and its leases set, by the database's clock, which the sweeps that take them over compare with
        return Panache.withTransaction(() -> clock.now().chain(now -> endHere(link, to, reason, now,
                        consentEndAfter == null ? null : now.plus(consentEndAfter), byBank, tellBankNow ? now.plus(ENDING_FIRST) : now)))
                .call(() -> tellBankNow ? revokeNow(link.id) : Uni.createFrom().voidItem())
                .invoke(changed -> {
                    if (changed) {
                        LOG.infof("link %s ended: %s", link.id, to);
                    }
                });
    }

    /**
     * What an ending changes here, in one transaction (the caller's when it has one, as the activation of the link
     * that replaces this one, LinkReplacement): the link leaves ACTIVE (or PENDING), its token becomes unusable, due
     * for RevokeAccess at {@code bankDueAt}, and what the bank said about its accounts is erased. Whoever sees the link
     * ended also sees its token pending (and revokes it, see revokeNow), and no longer finds its accounts' data. Emits
     * whether this call ended the link.
     */
    Uni<Boolean> endHere(Link link, LinkStatus to, String reason, Instant now, Instant consentEndDueAt, boolean byBank,
            Instant bankDueAt) {
        EnumSet<LinkStatus> live = EnumSet.of(LinkStatus.LINK_STATUS_ACTIVE, LinkStatus.LINK_STATUS_PENDING);
        return links.transition(link.id, live, to, reason, now, consentEndDueAt, byBank)
                .call(() -> tokens.markForRevocation(link.id, reason, bankDueAt))
                .call(() -> accounts.eraseBankData(link.id, now));
    }

    /**
     * Tells the bank now about this link's ended token, if it is still pending, and deletes it once the bank confirmed.
     * Whoever ends a link (the person's Unlink and the consent event it causes may race, and either may find the
     * other's bank call still in flight) returns only after the bank was told, unless the bank failed: then the
     * sweep retries. Calling the bank twice for one token is harmless.
     */
    public Uni<Void> revokeNow(UUID linkId) {
        return tokens.pending(linkId).chain(p -> p == null ? Uni.createFrom().voidItem() : revokeAtBank(p));
    }

    /** Retries revocations that failed before (and picks up rows another replica left behind). */
    @Scheduled(every = "${accounts.revocation-retry-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> revokeDueAtBank() {
        return revokeDue().onFailure().recoverWithUni(e -> {
            LOG.warnf("revocation sweep failed (%s)", e.getClass().getSimpleName());
            return Uni.createFrom().voidItem();
        });
    }

    /**
     * Revokes due tokens at their banks, one after another, a batch of 20 at a time until fewer are due (at most
     * {@link SweepBatches#MAX_PER_RUN} batches); a failure only reschedules its row. Endings announced by consent-service
     * come here at once (a mass expiry: hundreds), so one batch a run would have told the banks at 2 a second.
     */
    public Uni<Void> revokeDue() {
        return SweepBatches.run(batch -> clock.now().chain(now -> tokens.claimDue(now, LEASE, batch)), this::revokeAtBank)
                .chain(() -> tokens.countFailedAtLeast(StuckWork.AFTER_ATTEMPTS))
                .invoke(stuck::bankRevocations)
                .replaceWithVoid();
    }

    /** The wait before the next try after {@code attempts} failed ones: 2^attempts seconds, at most MAX_BACKOFF. */
    static long backoffSeconds(int attempts) {
        return Math.min(MAX_BACKOFF.toSeconds(), (long) Math.pow(2, Math.min(attempts, 20)));
    }

    private Uni<Void> revokeAtBank(PendingRevocation p) {
        UUID linkId = p.linkId();
        return links.find(linkId).chain(link -> {
            String token = cipher.open(linkId, p.sealed());
            return banks.bank(link.bankId).revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken(token)
                            .setReason(p.reason()).build())
                    .chain(() -> tokens.deleteToken(linkId))
                    .invoke(() -> LOG.infof("bank %s confirmed the revocation of link %s; token deleted", link.bankId, linkId));
        }).replaceWithVoid().onFailure().recoverWithUni(e -> {
            long backoffSeconds = backoffSeconds(p.attempts());
            StuckWork.failed(LOG, "revocation of link " + linkId + " at the bank failed: "
                    + (e instanceof io.grpc.StatusRuntimeException s ? s.getStatus().getCode() : e.getClass().getSimpleName()),
                    p.attempts() + 1, backoffSeconds);
            return clock.now().chain(now -> tokens.attemptFailed(linkId, now.plusSeconds(backoffSeconds))).replaceWithVoid()
                    .onFailure().recoverWithNull();
        });
    }
}
