package io.commercechat.sandbox.bank.link;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.sandbox.grpc.GrpcErrors;
import io.commercechat.sandbox.security.Secrets;
import io.commercechat.support.GrpcValidation;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The links the sandbox bank has granted, in memory, looked up by token hash or link id; a link that ended (revoked or
 * expired) is forgotten {@link #ENDED_LINK_RETENTION} later.
 */
@ApplicationScoped
public class BankLinks {

    private static final Logger LOG = Logger.getLogger(BankLinks.class);

    /**
     * How long an ended link is still known. BankConnector answers an ended token and an unknown one alike; the test hooks
     * do not: they send a link's revocation notice again, and name the link a code granted (codes are known until about
     * ten minutes after they expired).
     */
    static final Duration ENDED_LINK_RETENTION = Duration.ofHours(1);
    /** A grant sweeps at most this often, so that exchanges do not each pay for a pass over every link. */
    static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

    private final Clock clock;
    private final Map<String, BankLink> byTokenHash = new ConcurrentHashMap<>();
    private final Map<String, BankLink> byId = new ConcurrentHashMap<>();
    private final AtomicReference<Instant> nextSweep = new AtomicReference<>(Instant.MIN);

    public BankLinks(Clock clock) {
        this.clock = clock;
    }

    /** A granted link and its access token; the token exists only in this value and at the caller. */
    public record Grant(BankLink link, String accessToken) {
        @Override
        public String toString() {
            return "Grant[" + link.id() + "]";
        }
    }

    public Grant grant(String customerId, List<String> accountIds, Set<Permission> permissions, Instant expiresAt) {
        sweep(clock.instant());
        String token = Secrets.random("sbt_", 32);
        BankLink link = new BankLink(Secrets.random("bl_", 12), Secrets.hash(token), customerId, accountIds, permissions,
                expiresAt);
        byTokenHash.put(link.tokenHash(), link);
        byId.put(link.id(), link);
        LOG.infof("bank link %s granted (%d accounts)", link.id(), accountIds.size());
        return new Grant(link, token);
    }

    /**
     * The active link of an access token; PERMISSION_DENIED "bank token revoked or unknown" otherwise, INVALID_ARGUMENT
     * when there is no token.
     */
    public BankLink active(String accessToken) {
        BankLink link = byToken(accessToken);
        if (link == null || !link.isUsableAt(clock.instant())) {
            throw GrpcErrors.tokenRevokedOrUnknown();
        }
        return link;
    }

    /** False when the token was unknown or already revoked; INVALID_ARGUMENT when there is no token. */
    public boolean revokeByToken(String accessToken, String reason) {
        BankLink link = byToken(accessToken);
        return link != null && revoke(link, reason);
    }

    /** An empty token is the caller's mistake, not a token the bank does not know: it must not pass for "revoked". */
    private BankLink byToken(String accessToken) {
        return byTokenHash.get(Secrets.hash(GrpcValidation.required(accessToken, "access_token", 200)));
    }

    public Optional<BankLink> byId(String linkId) {
        return Optional.ofNullable(linkId == null ? null : byId.get(linkId));
    }

    public boolean revoke(BankLink link, String reason) {
        boolean now = link.revoke(clock.instant());
        if (now) {
            LOG.infof("bank link %s revoked (%s)", link.id(), reason == null || reason.isBlank() ? "no reason given" : "reason given");
        }
        return now;
    }

    /** Forgets the links that ended more than ENDED_LINK_RETENTION ago, at most once per SWEEP_INTERVAL. */
    private void sweep(Instant now) {
        Instant due = nextSweep.get();
        if (now.isBefore(due) || !nextSweep.compareAndSet(due, now.plus(SWEEP_INTERVAL))) {
            return;  // swept a moment ago, or another grant is sweeping
        }
        Instant horizon = now.minus(ENDED_LINK_RETENTION);
        byTokenHash.values().removeIf(l -> l.endedBefore(horizon));
        byId.values().removeIf(l -> l.endedBefore(horizon));
    }
}
