package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.token.repository.BankTokenRepository;
import io.commercechat.accounts.token.repository.BankTokenRepository.PendingRevocation;
import io.commercechat.accounts.token.service.TokenCipher;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Ends a link's access, whoever ended it (person, bank, expiry): the link leaves ACTIVE, the bank
 * token becomes unusable at once, and the bank is told with RevokeAccess. When the bank cannot be
 * reached, the revocation is retried with growing backoff until the bank confirmed; only then is
 * the token row deleted. Every step is idempotent, so replicas and replays are harmless.
 */
@ApplicationScoped
public class AccessEnding {

    private static final Logger LOG = Logger.getLogger(AccessEnding.class);
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(10);

    private final LinkRepository links;
    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final BankRegistry banks;

    public AccessEnding(LinkRepository links, BankTokenRepository tokens, TokenCipher cipher, BankRegistry banks) {
        this.links = links;
        this.tokens = tokens;
        this.cipher = cipher;
        this.banks = banks;
    }

    /** Ends an ACTIVE (or PENDING) link; returns whether this call ended it. */
    public boolean end(Link link, LinkStatus to, String reason) {
        Instant now = Instant.now();
        boolean changed = links.transition(link.id(), EnumSet.of(LinkStatus.LINK_STATUS_ACTIVE, LinkStatus.LINK_STATUS_PENDING),
                to, reason, now);
        tokens.markForRevocation(link.id(), reason, now);
        revokeDueAtBank();
        if (changed) {
            LOG.infof("link %s ended: %s", link.id(), to);
        }
        return changed;
    }

    /** Revokes pending tokens at their banks (also scheduled, for retries after failures). */
    @Scheduled(every = "${accounts.revocation-retry-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void revokeDueAtBank() {
        for (PendingRevocation p : tokens.claimDue(Instant.now(), LEASE, 20)) {
            revokeAtBank(p);
        }
    }

    private void revokeAtBank(PendingRevocation p) {
        UUID linkId = p.linkId();
        try {
            Link link = links.find(linkId).orElseThrow();
            String token = cipher.open(linkId, p.sealed());
            banks.bank(link.bankId()).revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken(token)
                    .setReason(p.reason()).build());
            tokens.delete(linkId);
            LOG.infof("bank %s confirmed the revocation of link %s; token deleted", link.bankId(), linkId);
        } catch (RuntimeException e) {
            long backoffSeconds = Math.min(MAX_BACKOFF.toSeconds(), (long) Math.pow(2, Math.min(p.attempts(), 20)));
            tokens.attemptFailed(linkId, Instant.now().plusSeconds(backoffSeconds));
            LOG.warnf("revocation of link %s at the bank failed (%s); retrying in %ds", linkId,
                    e instanceof io.grpc.StatusRuntimeException s ? s.getStatus().getCode() : e.getClass().getSimpleName(),
                    backoffSeconds);
        }
    }
}
