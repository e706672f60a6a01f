package io.commercechat.accounts.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Typed configuration of account-link-service (prefix {@code accounts}). */
@ConfigMapping(prefix = "accounts")
public interface AccountsConfig {

    /** The partner-bank registry: {@code accounts.banks.<bank-id>.*}. */
    Map<String, BankEndpoint> banks();

    /**
     * The scope this service asks for with its mesh token, the one that gives it the mesh's audience (the realm's
     * {@code commerce-chat}); none when the provider adds that audience by default. Bank tokens are asked for with
     * each bank's {@code token-scope} instead (ServiceTokens).
     */
    Optional<String> meshTokenScope();

    /** consent-service's gRPC address (required: the service refuses to start without it). */
    @WithName("consent-service")
    Endpoint consentService();

    /** Deadline of CheckAccess; no answer within it is a denial (fail closed). */
    @WithDefault("1s")
    Duration consentDeadline();

    /** Deadline of the other consent-service calls (create, authorise, reject, revoke). */
    @WithDefault("5s")
    Duration consentWriteDeadline();

    /** Deadline of each call to a bank. */
    @WithDefault("2s")
    Duration bankDeadline();

    /** Retries of idempotent bank reads (not counting the first attempt). */
    @WithDefault("2")
    int bankReadRetries();

    /** First backoff between retried bank reads (doubles each time). */
    @WithDefault("100ms")
    Duration bankRetryBackoff();

    CircuitBreaker circuitBreaker();

    /**
     * How far back transactions may ever be read. New consents carry
     * {@code transaction_from = now - this}; every ListTransactions window is clipped to the
     * consent's window and to this much history before now.
     */
    @WithName("transactions-max-history")
    @WithDefault("P365D")
    Duration transactionsMaxHistory();

    /** Browser redirect targets a link may use (prefix match on the full URI). */
    @WithName("allowed-redirect-prefixes")
    List<String> allowedRedirectPrefixes();

    /** How long a PENDING link waits for the person at the bank. */
    @WithDefault("15m")
    Duration authorisationWindow();

    /** Shown on the bank's authorisation page. */
    @WithDefault("Commerce Chat")
    String requesterDisplayName();

    /** AES-256 keys for bank tokens: {@code accounts.token-keys.<kid>=<base64 of 32 bytes>} (from a Secret). */
    @WithName("token-keys")
    Map<String, String> tokenKeys();

    /** The key id new tokens are encrypted with; older key ids stay readable. */
    @WithName("token-keys-active")
    String tokenKeysActive();

    /**
     * Key ids whose tokens TokenKeyRotation re-seals under the active key. Each must be configured and not active. Set
     * only once every replica runs with the active key it names (a rollout of its own): a sweep never moves a token
     * towards a key that is not named here as the way out, so replicas on different configurations cannot move
     * tokens back and forth. Empty (the default): nothing is re-sealed.
     */
    @WithName("token-keys-retiring")
    Optional<Set<String>> tokenKeysRetiring();

    /**
     * How often stored tokens under another key id than the active one are re-sealed with the active key
     * (TokenKeyRotation); the first sweep runs right after start. Its {@code @Scheduled} expression reads the
     * property; declared here too so that a malformed value stops the start.
     */
    @WithDefault("10m")
    Duration tokenRekeyInterval();

    /** Tokens re-sealed per transaction by that sweep (it goes on, batch after batch, until none are left). */
    @WithDefault("100")
    int tokenRekeyBatchSize();

    ConsentEvents consentEvents();

    /** How often bank revocations that failed earlier are retried. */
    @WithDefault("10s")
    String revocationRetryInterval();

    /** How often the consents of failed links that consent-service missed are ended again (FailedLinkConsents). */
    @WithDefault("10s")
    String consentEndRetryInterval();

    /**
     * How long a link may stay PENDING after CompleteLink claimed its state before AbandonedCompletions fails it (the
     * completing process stopped, or failing the link failed). Longer than any completion takes: about 2.5 min at the
     * default deadlines (the code exchange, up to 20 pages of accounts with retries, the consent calls).
     */
    @WithDefault("10m")
    Duration abandonedCompletionAfter();

    /** How often AbandonedCompletions looks for such links. */
    @WithDefault("1m")
    String abandonedCompletionSweepInterval();

    interface Endpoint {
        String host();

        int port();

        @WithDefault("false")
        boolean tls();
    }

    interface BankEndpoint extends Endpoint {
        String displayName();

        /**
         * The scope this service asks its token for this bank with: the provider gives a token of that scope the
         * bank's audience only, so that the bank, a third party, holds nothing the mesh would accept.
         */
        String tokenScope();
    }

    interface CircuitBreaker {
        /** Calls in the rolling window. */
        @WithDefault("4")
        int requestVolumeThreshold();

        @WithDefault("0.5")
        double failureRatio();

        /** How long the breaker stays open before letting a trial call through. */
        @WithDefault("5s")
        Duration delay();
    }

    interface ConsentEvents {
        /** Consume ConsentService.WatchConsentEvents (one replica at a time, by advisory lock). */
        @WithDefault("true")
        boolean enabled();

        /** Wait before reconnecting after the stream failed or the lock was held elsewhere. */
        @WithDefault("2s")
        Duration reconnectDelay();
    }
}
