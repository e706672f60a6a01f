package io.commercechat.sandbox.bank.link;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.sandbox.grpc.GrpcErrors;
import io.commercechat.sandbox.security.Secrets;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/** Every link the sandbox bank has granted, in memory, looked up by token hash or link id. */
@ApplicationScoped
public class BankLinks {

    private static final Logger LOG = Logger.getLogger(BankLinks.class);

    private final Clock clock;
    private final Map<String, BankLink> byTokenHash = new ConcurrentHashMap<>();
    private final Map<String, BankLink> byId = new ConcurrentHashMap<>();

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
        String token = Secrets.random("sbt_", 32);
        BankLink link = new BankLink(Secrets.random("bl_", 12), Secrets.hash(token), customerId, accountIds, permissions,
                expiresAt);
        byTokenHash.put(link.tokenHash(), link);
        byId.put(link.id(), link);
        LOG.infof("bank link %s granted (%d accounts)", link.id(), accountIds.size());
        return new Grant(link, token);
    }

    /** The active link of an access token; PERMISSION_DENIED "bank token revoked or unknown" otherwise. */
    public BankLink active(String accessToken) {
        BankLink link = accessToken == null || accessToken.isEmpty() ? null : byTokenHash.get(Secrets.hash(accessToken));
        if (link == null || !link.isUsableAt(clock.instant())) {
            throw GrpcErrors.tokenRevokedOrUnknown();
        }
        return link;
    }

    /** False when the token was unknown or already revoked. */
    public boolean revokeByToken(String accessToken, String reason) {
        BankLink link = accessToken == null || accessToken.isEmpty() ? null : byTokenHash.get(Secrets.hash(accessToken));
        return link != null && revoke(link, reason);
    }

    public Optional<BankLink> byId(String linkId) {
        return Optional.ofNullable(linkId == null ? null : byId.get(linkId));
    }

    public boolean revoke(BankLink link, String reason) {
        boolean now = link.revoke();
        if (now) {
            LOG.infof("bank link %s revoked (%s)", link.id(), reason == null || reason.isBlank() ? "no reason given" : "reason given");
        }
        return now;
    }
}
