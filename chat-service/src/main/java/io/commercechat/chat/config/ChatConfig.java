package io.commercechat.chat.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@ConfigMapping(prefix = "chat")
public interface ChatConfig {

    /**
     * The businesses people can start a chat with: {@code chat.businesses.<business-id>.*} (production: the
     * chat-service-businesses ConfigMap; business/service/BusinessDirectory). The id is the partner's
     * {@code business_id} claim.
     */
    Map<String, ConfiguredBusiness> businesses();

    interface ConfiguredBusiness {
        /** The name people see. */
        String displayName();

        /** BANK or SHOP. */
        String kind();

        /** A bank's id at account-link-service (accounts.banks.<bank-id>); required for a bank, none for a shop. */
        Optional<String> partnerBankId();
    }

    /** HMAC key that derives a person's pairwise person_ref for each business (from a Secret). */
    String personRefKey();

    /** How long a business may answer after the person's last message without an update tag. */
    @WithDefault("PT24H")
    Duration replyWindow();

    /**
     * Batches of sends one replica writes at once (message/repository/MessageWriter), each on its own pooled
     * connection; a batch beside one in flight is written only once a whole batch (64 sends) waits. Two overlap one
     * batch's writing with the other's commit and answer, and queue on the inbox head of a business they share only
     * for that commit. Measured (benchmark, sends only, 256 senders to one shop, durable PostgreSQL, 2026-12-07): 1 →
     * 9,477–10,042 sends/s, a quarter of the two cores idle; 2 → 11,566. Splitting fewer waiting sends into smaller
     * batches was slower (32 senders, every batch beside another: with V8 1 → 4,500–8,800 sends/s, 2 → 3,200–6,300;
     * with V7 1 → 5,700–6,300, 2 → 4,900–5,400, 3 → 4,500–4,700, 4 → 3,300–4,100), hence the whole batch.
     */
    @WithDefault("2")
    int sendBatchesInFlight();

    /**
     * How long a batch of sends may take before its senders are answered 503 "send it again" (retries are idempotent)
     * and its slot goes to the next batch (message/repository/MessageWriter): a database that stops answering (frozen,
     * cut off) must not hold every send of the replica behind one batch. Above the 5 s a statement waits for any one
     * lock (the datasource's lock_timeout).
     */
    @WithDefault("PT10S")
    Duration sendTimeout();

    /**
     * How long a typing indicator lasts unless repeated. A repeat is written (and sent to the other side) only once
     * less than half of it is left, so one party's indicator costs at most about two writes per this time.
     */
    @WithDefault("PT6S")
    Duration typingTtl();

    /**
     * Typing events stay in inboxes this long, then a sweep deletes them: a stream that resumes later has no use for
     * an indicator that expired long ago, and they would otherwise be most of an inbox's rows.
     */
    @WithDefault("PT10M")
    Duration typingKept();

    /** How often each replica deletes the typing events older than {@link #typingKept()}. */
    @WithDefault("PT1M")
    Duration typingSweepInterval();

    /**
     * Event streams (SSE) one person may hold open on one replica at once: a browser tab or device has one each. Each
     * stream holds a connection and a reader, so a client that opens them in a loop is refused (429) beyond this.
     */
    @WithDefault("16")
    int streamsPerPerson();

    /** Subscribe streams one business may hold open on one replica at once (RESOURCE_EXHAUSTED beyond this). */
    @WithDefault("32")
    int streamsPerBusiness();

    /**
     * Event streams (SSE and Subscribe, everyone's) one replica holds open at once. Each holds a connection, timers
     * and a reader; beyond this a new one is refused (503 {@code server-busy} with Retry-After, gRPC UNAVAILABLE), and
     * the client opens it again later, perhaps on another replica, instead of this one running out of memory.
     */
    @WithDefault("5000")
    int streamsPerReplica();

    /**
     * How often this replica checks that its LISTEN connection still answers. A connection that hangs without closing
     * (a half-open TCP connection, a frozen backend) would otherwise leave its streams waiting for notifications
     * that never come, reading only every {@link #streamPollInterval()}.
     */
    @WithDefault("PT10S")
    Duration listenCheckInterval();

    /** A check that gets no answer within this closes the LISTEN connection, which then reconnects. */
    @WithDefault("PT5S")
    Duration listenCheckTimeout();

    /**
     * While the LISTEN connection cannot be made (tried again every second), at most one warning this often says it is
     * still down; the first failure is logged at once, and so is the moment it listens again.
     */
    @WithDefault("PT1M")
    Duration listenOutageWarningInterval();

    /**
     * While this replica's LISTEN connection is up, an idle event stream re-reads its inbox this often anyway: a
     * safety net only, since notifications arrive and a reconnected listener wakes every stream. Each read is a query,
     * so with thousands of idle streams a short interval is a steady load on the database.
     */
    @WithDefault("PT30S")
    Duration streamPollInterval();

    /** While the LISTEN connection is down, streams re-read this often (the notifications are not coming). */
    @WithDefault("PT1S")
    Duration streamPollIntervalWithoutListen();

    /** SSE comment lines keep idle connections open through proxies. */
    @WithDefault("PT15S")
    Duration heartbeatInterval();

    /**
     * Deadline of one call to account-link-service (it calls the bank with its own deadlines and
     * retries, so this is the longest a person waits for bank data).
     */
    @WithDefault("PT10S")
    Duration accountLinkDeadline();

    /**
     * The longest a person or a partner waits for an answer to one request (not a stream): then 503 / UNAVAILABLE
     * "try again". A database that stops answering (a frozen server, a cut network) would otherwise hold the request
     * until it answers again, with no end. Above the deadlines of the calls one request makes (a peer's); sends keep
     * only their batch's (chat.send-timeout).
     */
    @WithDefault("PT20S")
    Duration requestDeadline();

    /** Deadline of one call to consent-service. */
    @WithDefault("PT5S")
    Duration consentDeadline();

    ConsentEvents consentEvents();

    VerifiedTokenMemory verifiedTokens();

    /** Bearer tokens remembered once SmallRye JWT verified them (see security.VerifiedTokens). */
    interface VerifiedTokenMemory {
        /** The longest a verified token is served without verifying it again (never past its expiry). */
        @WithDefault("PT60S")
        Duration maxAge();

        /** Tokens remembered at most (one per signed-in person or business, each a few kilobytes). */
        @WithDefault("10000")
        int capacity();
    }

    WebClient webClient();

    /** What the reference web client served at / is told in /config.json. */
    interface WebClient {
        /** The OIDC issuer as the person's browser reaches it (defaults to the issuer tokens carry). */
        @WithDefault("${mp.jwt.verify.issuer}")
        String issuer();

        /** The public OIDC client (authorization code + PKCE) the web client signs in with. */
        @WithDefault("web")
        String clientId();

        /**
         * Origins besides the issuer's that the web client's pages may call (Content-Security-Policy
         * {@code connect-src}): an OIDC provider whose token endpoint is on another origin than its issuer.
         */
        Optional<List<String>> connectOrigins();

        /**
         * How long a signed-in page may go without the person touching it (keys, pointer, focus) before it signs them
         * out, here and at the provider: an open tab keeps its event stream, whose reconnections would otherwise
         * refresh the tokens, and so the provider's session, for as long as the tab is open.
         */
        @WithDefault("PT15M")
        Duration idleTimeout();
    }

    Renewal renewal();

    interface ConsentEvents {
        /** Follow consent-service's event stream (redactions, renewal offers). */
        @WithDefault("true")
        boolean enabled();

        /** One replica follows the stream at a time; it holds a lease this long and renews it at a third. */
        @WithDefault("PT30S")
        Duration lease();

        /** Wait before reconnecting after the stream ended or failed. */
        @WithDefault("PT2S")
        Duration reconnectDelay();

        /**
         * Account cards replaced per transaction when a consent ends: a consent lives up to 180 days and may have
         * left many cards; each transaction locks their conversations, so it is kept short.
         */
        @WithDefault("100")
        int redactionsPerTransaction();
    }

    interface Renewal {
        /** The assistant offers renewal this long before a consent expires. */
        @WithDefault("P7D")
        Duration noticeBefore();

        @WithDefault("PT10M")
        Duration checkInterval();
    }
}
