package io.commercechat.chat.client;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.GetReceiptResponse;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsResponse;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.ListConsentsResponse;
import io.commercechat.proto.consent.v1.MutinyConsentServiceGrpc.MutinyConsentServiceStub;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.commercechat.support.BearerToken;
import io.commercechat.support.DemandPacedStream;
import io.grpc.Channel;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * consent-service's ConsentService. A person's reads and revocations forward the person's own
 * token (consent-service limits them to that {@code sub}); the public receipt keys and the event
 * stream use chat-service's own token. Every unary call has a deadline.
 */
@ApplicationScoped
public class ConsentClient {

    private static final String PEER = "Your privacy settings";
    static final String REVOKED_IN_APP = "ended by you in Commerce Chat";

    private final PeerCalls<MutinyConsentServiceStub> calls;
    /** The plain stub, for the event stream: its requests follow what the watcher takes (DemandPacedStream). */
    private final ConsentServiceGrpc.ConsentServiceStub streams;
    private final ServiceTokens serviceTokens;
    /** See {@link #receiptKeys()}; a rotated receipt key is in it at most this long after consent-service publishes it. */
    static final Duration RECEIPT_KEYS_KEPT = Duration.ofSeconds(60);
    private final Uni<String> receiptKeys;
    private volatile boolean receiptKeysFetching;
    private volatile long receiptKeysUntil = System.nanoTime();

    public ConsentClient(@GrpcClient("consent") MutinyConsentServiceStub stub, @GrpcClient("consent") Channel channel,
            ServiceTokens serviceTokens, ChatConfig config) {
        this.calls = new PeerCalls<>(stub, PEER, config.consentDeadline());
        this.streams = ConsentServiceGrpc.newStub(channel);
        this.serviceTokens = serviceTokens;
        this.receiptKeys = Uni.createFrom().deferred(this::fetchReceiptKeys).memoize()
                .until(() -> !receiptKeysFetching && System.nanoTime() - receiptKeysUntil >= 0);
    }

    public Uni<ListConsentsResponse> listConsents(String personToken, ListConsentsRequest req) {
        return calls.read(personToken, "ListConsents", "the consent", s -> s.listConsents(req));
    }

    public Uni<Consent> getConsent(String personToken, String consentId) {
        return calls.read(personToken, "GetConsent", "the consent",
                s -> s.getConsent(GetConsentRequest.newBuilder().setConsentId(consentId).build())).map(r -> r.getConsent());
    }

    public Uni<GetReceiptResponse> getReceipt(String personToken, GetReceiptRequest req) {
        return calls.read(personToken, "GetReceipt", "the receipt", s -> s.getReceipt(req));
    }

    public Uni<Consent> revoke(String personToken, String consentId) {
        return calls.change(personToken, "RevokeConsent", "the consent", s -> s.revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId(consentId).setRevokedBy(Actor.ACTOR_USER).setReason(REVOKED_IN_APP).build()))
                .map(r -> r.getConsent());
    }

    public Uni<ListAccessRecordsResponse> listAccessRecords(String personToken, ListAccessRecordsRequest req) {
        return calls.read(personToken, "ListAccessRecords", "the consent", s -> s.listAccessRecords(req));
    }

    /**
     * The JWKS that verifies receipts (public keys only), asked for with chat-service's own token. Kept for
     * {@link #RECEIPT_KEYS_KEPT}: the edge serves it to anyone without a token, and each request would otherwise cost
     * consent-service a call. Callers that arrive while it is being fetched share that fetch; a failure is not kept.
     */
    public Uni<String> receiptKeys() {
        return receiptKeys;
    }

    private Uni<String> fetchReceiptKeys() {
        receiptKeysFetching = true;
        return serviceTokens.accessToken().chain(token -> calls.read(token, "GetReceiptKeys", "the receipt keys",
                s -> s.getReceiptKeys(GetReceiptKeysRequest.getDefaultInstance()))).map(r -> r.getJwksJson())
                .onItemOrFailure().invoke((keys, failure) -> {
                    receiptKeysUntil = failure == null ? System.nanoTime() + RECEIPT_KEYS_KEPT.toNanos() : System.nanoTime();
                    receiptKeysFetching = false;
                });
    }

    /**
     * Consent events after a position, then new ones as they happen (chat-service's own token, no deadline), read as
     * fast as the subscriber takes them: a replay of a long log stays in consent-service, not in this heap.
     */
    public Multi<WatchConsentEventsResponse> watch(String serviceToken, long afterPosition) {
        return DemandPacedStream.follow(streams.withCallCredentials(new BearerToken(serviceToken))::watchConsentEvents,
                WatchConsentEventsRequest.newBuilder().setAfterPosition(afterPosition).build());
    }
}
