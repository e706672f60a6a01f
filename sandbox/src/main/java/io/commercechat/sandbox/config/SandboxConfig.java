package io.commercechat.sandbox.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Typed configuration of the sandbox bank and shop. */
@ConfigMapping(prefix = "sandbox")
public interface SandboxConfig {

    /** Base URL the person's browser uses to reach the sandbox (authorisation page links). */
    @WithDefault("http://127.0.0.1:8083")
    String publicUrl();

    /** How long an authorisation code can be exchanged (the contract says 60 s). */
    @WithDefault("60s")
    Duration codeTtl();

    /** How long a pending authorisation request waits for the person. */
    @WithDefault("15m")
    Duration authorisationTtl();

    /**
     * The clients registered with the bank (the {@code azp} of their tokens for the bank's audience): only they may call
     * BankConnector, as a real bank serves only the third-party providers it registered. A token another client got for
     * the bank (chat-service's, say) is refused.
     */
    @WithDefault("account-link-service")
    Set<String> clients();

    TestHooks testHooks();

    /** The bank agent console (/agent): its switch, who may reach it, its subscription to the bank's inbox. */
    Agent agent();

    /** Per-RPC fault knobs, keyed by RPC name (e.g. {@code list-transactions} or {@code ListTransactions}). */
    Map<String, RpcFault> faults();

    /**
     * How the bank repeats telling the platform of a link it ended by itself (a replayed code) while the platform or the
     * identity provider is unreachable: nobody waits for that notice, so the bank repeats it, a bounded number of times.
     */
    RevocationNotices revocationNotices();

    interface TestHooks {
        @WithDefault("false")
        boolean enabled();
    }

    interface Agent {
        /**
         * Whether the console answers at all (otherwise every /agent request is a 404): it acts with the bank's partner
         * token and so reads every person's conversation with the bank. On in dev and test only.
         */
        @WithDefault("false")
        boolean enabled();

        /**
         * The Host names the console answers to (any port), so that a web page whose own name resolves to the
         * developer's loopback (DNS rebinding) cannot drive it: the console is reached on loopback or through
         * {@code kubectl port-forward}.
         */
        @WithDefault("127.0.0.1,localhost,[::1]")
        Set<String> allowedHosts();

        /** First wait before subscribing again after the inbox stream broke; doubled per failure. */
        @WithDefault("500ms")
        Duration reconnectInitialBackoff();

        /** Longest wait between two subscription attempts. */
        @WithDefault("30s")
        Duration reconnectMaxBackoff();

        /** Recent inbox events kept in memory so a browser reconnecting with Last-Event-ID misses nothing. */
        @WithDefault("1000")
        int replayBuffer();
    }

    interface RevocationNotices {
        /** Wait before the first repeat; doubled per failure (with jitter). */
        @WithDefault("1s")
        Duration initialBackoff();

        /** Longest wait between two attempts. */
        @WithDefault("1m")
        Duration maxBackoff();

        /** Repeats after the first attempt, at most; then the bank gives up (a WARN in its log). */
        @WithDefault("10")
        int maxRetries();
    }

    interface RpcFault {
        Optional<Duration> latency();

        @WithName("failure-rate")
        @WithDefault("0")
        double failureRate();
    }
}
