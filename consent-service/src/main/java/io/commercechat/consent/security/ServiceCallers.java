package io.commercechat.consent.security;

import io.commercechat.consent.config.ConsentConfig;
import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Which services may call which RPCs with their own token (least privilege): a service token acts for any person, so
 * each service gets only what it does on its own, named in {@code consent.callers.*}. chat-service, the internet-facing
 * edge, forwards the person's token for everything a person does, which this leaves exactly as it was.
 */
@ApplicationScoped
public class ServiceCallers {

    /** What a service may do with its own token, and the property that names the services allowed to. */
    public enum Grant {
        ACT_FOR_PERSON("act-for-person", "act for a person named in the request", false, ConsentConfig.Callers::actForPerson),
        // the approval happens at the bank; the service that exchanged its code says so, never a person's token
        AUTHORISE_CONSENTS("authorise-consents", "authorise a person's consent", true, ConsentConfig.Callers::authoriseConsents),
        END_CONSENTS("end-consents", "reject or revoke a person's consent", false, ConsentConfig.Callers::endConsents),
        // an access record names the service that read; a person's token (chat-service holds one for everyone signed
        // in) would let its holder write reads that never happened
        CHECK_ACCESS("check-access", "check or record access to a person's bank data", true, ConsentConfig.Callers::checkAccess),
        WATCH_EVENTS("watch-events", "watch every person's consent events", true, ConsentConfig.Callers::watchEvents),
        RECEIPT_KEYS("receipt-keys", "read the receipt keys", false, ConsentConfig.Callers::receiptKeys),
        VERIFY_EVENT_LOG("verify-event-log", "verify the consent event log", true, ConsentConfig.Callers::verifyEventLog);

        final String property;
        final String what;
        /** No person's token reaches it, only a service's own. */
        final boolean serviceOnly;
        final Function<ConsentConfig.Callers, Optional<Set<String>>> configured;

        Grant(String property, String what, boolean serviceOnly, Function<ConsentConfig.Callers, Optional<Set<String>>> configured) {
            this.property = property;
            this.what = what;
            this.serviceOnly = serviceOnly;
            this.configured = configured;
        }
    }

    private static final Logger LOG = Logger.getLogger(ServiceCallers.class);

    private final String clientClaim;
    private final Map<Grant, Set<String>> allowed = new EnumMap<>(Grant.class);

    public ServiceCallers(ConsentConfig config) {
        this.clientClaim = config.callers().clientClaim();
        for (Grant g : Grant.values()) {
            allowed.put(g, g.configured.apply(config.callers()).orElse(Set.of()));
        }
    }

    /**
     * The caller of {@code rpc}; a service not named for {@code grant}, and a person where the grant is for services
     * only, are PERMISSION_DENIED.
     */
    public Caller of(SecurityIdentity identity, String rpc, Grant grant) {
        Caller caller = Caller.of(identity, clientClaim);
        if (grant.serviceOnly) {
            caller.requireService(rpc);
        }
        if (caller.isService() && !allowed.get(grant).contains(caller.service())) {
            // a service trying what it was never given is worth an operator's look (a bug, or a compromised service)
            LOG.warnf("refused %s with its own token: %s (consent.callers.%s)", caller.service(), rpc, grant.property);
            throw Status.PERMISSION_DENIED.withDescription(caller.service() + " may not " + grant.what + " (" + rpc
                    + ") with its own token: consent.callers." + grant.property + " does not name it").asRuntimeException();
        }
        return caller;
    }
}
