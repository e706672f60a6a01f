package io.commercechat.sandbox.bank.link;

import io.commercechat.sandbox.client.LinkEventsClient;
import io.commercechat.sandbox.config.SandboxConfig;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.oidc.client.OidcClientException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * The bank ends a link on its own side, and tells the platform (account-link-service's
 * PartnerLinkEvents.NotifyAccessRevoked, as {@code sandbox-bank}), so that it ends its link and deletes its token at
 * once instead of learning it from a refused read. Every revocation the bank decides goes through here; a revocation
 * the platform asked for (RevokeAccess) does not, as the platform knows of it already.
 */
@ApplicationScoped
public class BankRevocations {

    private static final Logger LOG = Logger.getLogger(BankRevocations.class);

    private final BankLinks links;
    private final LinkEventsClient platform;
    private final Clock clock;
    private final SandboxConfig.RevocationNotices retries;

    public BankRevocations(BankLinks links, LinkEventsClient platform, Clock clock, SandboxConfig config) {
        this.links = links;
        this.platform = platform;
        this.clock = clock;
        this.retries = config.revocationNotices();
    }

    /** {@code revokedAtBank}: this call ended it at the bank; {@code platformRevoked}: the platform ended its link now. */
    public record Revocation(String bankLinkId, boolean revokedAtBank, boolean platformRevoked) {}

    /**
     * Ends the link at the bank (its token is refused at once) and tells the platform once, also when the link had
     * ended already: whoever asks again tells the platform again. Fails when the platform could not be told.
     */
    public Uni<Revocation> revokeAndTell(BankLink link, String reason) {
        boolean now = links.revoke(link, reason);
        return platform.notifyAccessRevoked(link.id(), reason, clock.instant())
                .map(platformRevoked -> new Revocation(link.id(), now, platformRevoked));
    }

    /**
     * Ends the link at the bank in the course of work that must not wait for the platform (a replayed code's
     * exchange), and tells the platform in the background when this call ended it. While the platform or the identity
     * provider is unreachable the notice is sent again with backoff, a bounded number of times; any answer ends it,
     * NOT_FOUND included (the platform never learned the link's id: an exchange whose answer it lost).
     */
    public void revokeAndTellLater(BankLink link, String reason) {
        if (!links.revoke(link, reason)) {
            return;  // ended before, by a call that told the platform, or at the platform's own request
        }
        Instant at = clock.instant();
        Uni<Boolean> notice = Uni.createFrom().deferred(() -> platform.notifyAccessRevoked(link.id(), reason, at))
                .onFailure(BankRevocations::worthRepeating).invoke(e -> LOG.debugf("could not tell the platform that bank"
                        + " link %s ended yet (%s)", link.id(), describe(e)))
                .onFailure(BankRevocations::worthRepeating).retry()
                .withBackOff(retries.initialBackoff(), retries.maxBackoff()).atMost(retries.maxRetries());
        // Outside the gRPC context of the call being answered: an outgoing call started in it would be cancelled, or
        // given that call's deadline, as soon as that call answers.
        Context.current().fork().run(() -> notice.subscribe().with(
                platformRevoked -> LOG.infof("the platform was told that bank link %s ended (%s)", link.id(),
                        platformRevoked ? "it ended its link now" : "its link had ended already"),
                failure -> notTold(link, failure)));
    }

    private static void notTold(BankLink link, Throwable failure) {
        StatusRuntimeException status = status(failure);
        if (status != null && status.getStatus().getCode() == Status.Code.NOT_FOUND) {
            // the platform lost the exchange's answer and presented the code again: it holds no link with this id
            LOG.infof("the platform holds no link with bank link %s: nothing to end there", link.id());
        } else {
            LOG.warnf("could not tell the platform that bank link %s ended (%s); it learns it when a read is refused, or"
                    + " from POST /sandbox/links/%s/revoke (test hooks)", link.id(), describe(failure), link.id());
        }
    }

    /** Unreachable or too slow (the notice is idempotent, so a repeat is safe); any other answer is final. */
    private static boolean worthRepeating(Throwable failure) {
        if (failure instanceof OidcClientException) {
            return true;
        }
        return failure instanceof StatusRuntimeException s && switch (s.getStatus().getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED -> true;
            default -> false;
        };
    }

    private static StatusRuntimeException status(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                return s;
            }
        }
        return null;
    }

    private static String describe(Throwable failure) {
        StatusRuntimeException status = status(failure);
        if (status != null) {
            return "account-link-service answered " + status.getStatus().getCode();
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof OidcClientException) {
                return "no partner token from the identity provider";
            }
        }
        return failure.getClass().getSimpleName();
    }
}
