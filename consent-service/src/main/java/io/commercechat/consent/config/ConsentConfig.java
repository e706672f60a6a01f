package io.commercechat.consent.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

@ConfigMapping(prefix = "consent")
public interface ConsentConfig {

    /** How long a consent may wait for authorisation before it lapses. */
    @WithDefault("PT15M")
    Duration authorisationWindow();

    /** Longest validity a consent may have (Open Banking practice: 180 days). */
    @WithDefault("180")
    int maxValidDays();

    /**
     * How long a change waits for its consent's row, which checks in flight hold shared, before it fails with ABORTED
     * (nothing changed; the caller retries). Shorter than the callers' deadlines for writes (5 s in chat-service and
     * account-link-service), so that they hear ABORTED instead of giving up while the change may still commit. The
     * sweep's second look waits as long for a due consent it passed over (ConsentSweep).
     */
    @WithDefault("PT2S")
    Duration rowLockTimeout();

    /** How often WatchConsentEvents looks for new events when caught up. */
    @WithDefault("PT0.2S")
    Duration watchPollInterval();

    /**
     * The longest a WatchConsentEvents stream is served; it ends sooner when the caller's token expires. Consumers
     * resume from their position, so an ending stream loses nothing, while a stream no longer outlives the token and
     * the grant it was opened with (a service taken out of consent.callers.watch-events stops getting every person's
     * consents within this time), nor a consumer whose cancellation did not reach the server.
     */
    @WithDefault("PT10M")
    Duration watchMaxDuration();

    /** How often due consents (expired, lapsed) are ended and published (a duration or "off"). */
    @WithDefault("30s")
    String sweepInterval();

    Receipts receipts();

    /**
     * Which services may call which RPCs with their own token, by client name (security/ServiceCallers). A person's
     * token forwarded by a service is limited to that person and needs no entry.
     */
    Callers callers();

    interface Callers {
        /**
         * The claim of a verified service token that names its client. {@code azp} (OIDC: the party the token was
         * issued to) is on client-credentials tokens of Keycloak and most providers.
         */
        @WithDefault("azp")
        String clientClaim();

        /** CreateConsent, GetConsent, ListConsents, GetReceipt, ListAccessRecords for any person. */
        Optional<Set<String>> actForPerson();

        /** AuthoriseConsent: the service that completes the bank's authorisation (nobody else, no person's token). */
        Optional<Set<String>> authoriseConsents();

        /** RejectConsent and RevokeConsent of any person's consent. */
        Optional<Set<String>> endConsents();

        Optional<Set<String>> checkAccess();

        Optional<Set<String>> watchEvents();

        Optional<Set<String>> receiptKeys();

        Optional<Set<String>> verifyEventLog();
    }

    interface Receipts {
        /** The ES256 signing key as a private EC P-256 JWK (JSON), from a Kubernetes Secret. */
        String signingJwk();

        /**
         * Public keys published beside the signing key (a JWKS of EC P-256 keys, each with a kid of its own): earlier
         * ones, so old receipts stay verifiable, and during a rotation the next one, published before it signs.
         */
        Optional<String> previousPublicJwks();

        @WithDefault("Commerce Chat")
        String controllerName();

        @WithDefault("privacy@commercechat.example")
        String controllerContact();

        @WithDefault("https://commercechat.example/privacy")
        String policyUrl();
    }
}
