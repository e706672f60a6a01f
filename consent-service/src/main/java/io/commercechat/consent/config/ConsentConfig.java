package io.commercechat.consent.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "consent")
public interface ConsentConfig {

    /** How long a consent may wait for authorisation before it lapses. */
    @WithDefault("PT15M")
    Duration authorisationWindow();

    /** Longest validity a consent may have (Open Banking practice: 180 days). */
    @WithDefault("180")
    int maxValidDays();

    /** How often WatchConsentEvents looks for new events when caught up. */
    @WithDefault("PT0.2S")
    Duration watchPollInterval();

    /** How often due consents (expired, lapsed) are ended and published (a duration or "off"). */
    @WithDefault("30s")
    String sweepInterval();

    Receipts receipts();

    interface Receipts {
        /** The ES256 signing key as a private EC P-256 JWK (JSON), from a Kubernetes Secret. */
        String signingJwk();

        /** Earlier public keys (a JWKS) still published so old receipts stay verifiable. */
        Optional<String> previousPublicJwks();

        @WithDefault("Commerce Chat")
        String controllerName();

        @WithDefault("privacy@commercechat.example")
        String controllerContact();

        @WithDefault("https://commercechat.example/privacy")
        String policyUrl();
    }
}
