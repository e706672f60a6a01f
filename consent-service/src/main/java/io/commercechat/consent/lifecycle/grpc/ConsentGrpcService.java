package io.commercechat.consent.lifecycle.grpc;

import io.commercechat.consent.access.AccessRecord;
import io.commercechat.consent.access.service.AccessChecker;
import io.commercechat.consent.config.ConsentConfig;
import io.commercechat.consent.eventlog.service.ConsentEventLog;
import io.commercechat.consent.grpc.GrpcErrors;
import io.commercechat.consent.lifecycle.ConsentMapper;
import io.commercechat.consent.lifecycle.service.ConsentLifecycle;
import io.commercechat.consent.receipt.service.ReceiptSigner;
import io.commercechat.consent.security.Caller;
import io.commercechat.consent.security.ServiceCallers;
import io.commercechat.consent.security.ServiceCallers.Grant;
import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.AuthoriseConsentResponse;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.ConsentService;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.CreateConsentResponse;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetConsentResponse;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptKeysResponse;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.GetReceiptResponse;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsResponse;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.ListConsentsResponse;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RejectConsentResponse;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentResponse;
import io.commercechat.proto.consent.v1.VerifyEventLogRequest;
import io.commercechat.proto.consent.v1.VerifyEventLogResponse;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.PageTokens;
import io.commercechat.support.ProtoTime;
import io.commercechat.support.StreamReadiness;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** The gRPC edge of consent-service: resolves the caller, delegates, maps results and errors. */
@GrpcService
@Authenticated
public class ConsentGrpcService implements ConsentService {

    private final ConsentLifecycle lifecycle;
    private final AccessChecker access;
    private final ConsentEventLog eventLog;
    private final ReceiptSigner signer;
    private final SecurityIdentity identity;
    private final ServiceCallers callers;
    private final ConsentConfig config;

    public ConsentGrpcService(ConsentLifecycle lifecycle, AccessChecker access, ConsentEventLog eventLog,
            ReceiptSigner signer, SecurityIdentity identity, ServiceCallers callers, ConsentConfig config) {
        this.config = config;
        this.lifecycle = lifecycle;
        this.access = access;
        this.eventLog = eventLog;
        this.signer = signer;
        this.identity = identity;
        this.callers = callers;
    }

    @Override
    public Uni<CreateConsentResponse> createConsent(CreateConsentRequest req) {
        return call("CreateConsent", Grant.ACT_FOR_PERSON, c -> lifecycle.create(c, req),
                x -> CreateConsentResponse.newBuilder().setConsent(ConsentMapper.toProto(x)).build());
    }

    @Override
    public Uni<AuthoriseConsentResponse> authoriseConsent(AuthoriseConsentRequest req) {
        return call("AuthoriseConsent", Grant.AUTHORISE_CONSENTS,
                c -> lifecycle.authorise(c, req.getConsentId(), req.getUserId(), req.getAccountIdsList(), req.getExpectedVersion()),
                x -> AuthoriseConsentResponse.newBuilder().setConsent(ConsentMapper.toProto(x)).build());
    }

    @Override
    public Uni<RejectConsentResponse> rejectConsent(RejectConsentRequest req) {
        return call("RejectConsent", Grant.END_CONSENTS, c -> lifecycle.reject(c, req.getConsentId(), req.getReason()),
                x -> RejectConsentResponse.newBuilder().setConsent(ConsentMapper.toProto(x)).build());
    }

    @Override
    public Uni<RevokeConsentResponse> revokeConsent(RevokeConsentRequest req) {
        return call("RevokeConsent", Grant.END_CONSENTS,
                c -> lifecycle.revoke(c, req.getConsentId(), req.getRevokedBy(), req.getReason()),
                x -> RevokeConsentResponse.newBuilder().setConsent(ConsentMapper.toProto(x)).build());
    }

    @Override
    public Uni<GetConsentResponse> getConsent(GetConsentRequest req) {
        return call("GetConsent", Grant.ACT_FOR_PERSON, c -> lifecycle.get(c, req.getConsentId()),
                x -> GetConsentResponse.newBuilder().setConsent(x).build());
    }

    @Override
    public Uni<ListConsentsResponse> listConsents(ListConsentsRequest req) {
        return call("ListConsents", Grant.ACT_FOR_PERSON,
                c -> lifecycle.list(c, req, GrpcValidation.pageSize(req.getPageSize())),
                page -> ListConsentsResponse.newBuilder().addAllConsents(page.consents())
                        .setNextPageToken(page.nextPageToken()).build());
    }

    @Override
    public Uni<CheckAccessResponse> checkAccess(CheckAccessRequest req) {
        return call("CheckAccess", Grant.CHECK_ACCESS, c -> access.check(c, req), d -> CheckAccessResponse.newBuilder()
                .setDecision(d.allowed() ? AccessDecision.ACCESS_DECISION_ALLOW : AccessDecision.ACCESS_DECISION_DENY)
                .setReason(d.reason())
                .setConsentId(d.consentId() == null ? "" : d.consentId().toString())
                .setAccessRecordId(d.recordId().toString())
                .build());
    }

    @Override
    public Uni<ListAccessRecordsResponse> listAccessRecords(ListAccessRecordsRequest req) {
        return call("ListAccessRecords", Grant.ACT_FOR_PERSON, c -> {
            int size = GrpcValidation.pageSize(req.getPageSize());
            return access.list(c, req, size + 1).map(page -> {
                var b = ListAccessRecordsResponse.newBuilder();
                page.stream().limit(size).forEach(r -> b.addRecords(toProto(r)));
                if (page.size() > size) {
                    b.setNextPageToken(PageTokens.encode(page.get(size - 1).listSeq));
                }
                return b.build();
            });
        }, Function.identity());
    }

    @Override
    public Uni<GetReceiptResponse> getReceipt(GetReceiptRequest req) {
        return call("GetReceipt", Grant.ACT_FOR_PERSON, c -> lifecycle.receipt(c, req.getConsentId(), req.getKind()),
                r -> GetReceiptResponse.newBuilder()
                        .setKind(r.kind).setJws(r.jws).setKeyId(r.keyId).setIssuedAt(ProtoTime.of(r.issuedAt)).build());
    }

    @Override
    public Uni<GetReceiptKeysResponse> getReceiptKeys(GetReceiptKeysRequest req) {
        return call("GetReceiptKeys", Grant.RECEIPT_KEYS, c -> Uni.createFrom().item(signer.jwks()),
                jwks -> GetReceiptKeysResponse.newBuilder().setJwksJson(jwks).build());
    }

    @Override
    public Uni<VerifyEventLogResponse> verifyEventLog(VerifyEventLogRequest req) {
        return call("VerifyEventLog", Grant.VERIFY_EVENT_LOG, c -> eventLog.verify(), Function.identity());
    }

    @Override
    public Multi<WatchConsentEventsResponse> watchConsentEvents(WatchConsentEventsRequest req) {
        return Multi.createFrom().deferred(() -> {
            callers.of(identity, "WatchConsentEvents", Grant.WATCH_EVENTS);
            // the next events are read only when the transport takes more (gRPC flow control)
            return eventLog.watch(GrpcValidation.nonNegative(req.getAfterPosition(), "after_position"),
                            StreamReadiness.ofCurrentStream())
                    .select().first(servedFor())
                    .map(e -> WatchConsentEventsResponse.newBuilder().setEvent(e).build());
        }).onFailure().transform(GrpcErrors::toStatus);
    }

    /** Until the caller's token expires, at most {@code consent.watch-max-duration} (ConsentConfig). */
    private Duration servedFor() {
        Duration max = config.watchMaxDuration();
        if (identity.getPrincipal() instanceof JsonWebToken jwt && jwt.getExpirationTime() > 0) {
            Duration left = Duration.between(Instant.now(), Instant.ofEpochSecond(jwt.getExpirationTime()));
            return left.compareTo(max) < 0 ? (left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : left) : max;
        }
        return max;
    }

    /** A unary RPC: a service token must hold {@code grant}; a person's token is limited to that person further on. */
    private <T, R> Uni<R> call(String rpc, Grant grant, Function<Caller, Uni<T>> action, Function<T, R> toResponse) {
        Uni<T> deferred = Uni.createFrom().deferred(() -> action.apply(callers.of(identity, rpc, grant)));
        return deferred.map(toResponse).onFailure().transform(GrpcErrors::toStatus);
    }

    private static io.commercechat.proto.consent.v1.AccessRecord toProto(AccessRecord r) {
        return io.commercechat.proto.consent.v1.AccessRecord.newBuilder()
                .setId(r.id.toString()).setUserId(r.userId).setBankId(r.bankId).setAccountId(r.accountId)
                .setConsentId(r.consentId == null ? "" : r.consentId.toString()).setService(r.service)
                .setPermission(r.permission).setPurpose(r.purpose).setDecision(r.decision).setReason(r.reason)
                .setOccurredAt(ProtoTime.of(r.occurredAt)).build();
    }
}
