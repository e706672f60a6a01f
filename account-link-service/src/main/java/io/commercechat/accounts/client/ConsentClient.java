package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.MutinyConsentServiceGrpc;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.commercechat.support.BearerToken;
import io.commercechat.support.DemandPacedStream;
import io.commercechat.support.Rejections;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Calls to consent-service, non-blocking (Mutiny stub). Consent changes the person initiated
 * forward the person's token (consent-service then authorizes by its {@code sub} too).
 * CheckAccess uses this service's own token and names the person in {@code user_id}, so the access
 * log records account-link-service as the reader. Every call has a deadline; CheckAccess fails closed.
 */
@ApplicationScoped
public class ConsentClient {

    public static final String FAIL_CLOSED = "consent-service unavailable: access denied (fail closed)";
    private static final Logger LOG = Logger.getLogger(ConsentClient.class);

    private final MutinyConsentServiceGrpc.MutinyConsentServiceStub stub;
    /** The plain stub, for the event stream: its requests follow what the consumer takes (DemandPacedStream). */
    private final ConsentServiceGrpc.ConsentServiceStub streams;
    private final ServiceTokens serviceTokens;
    private final long checkDeadlineMillis;
    private final long writeDeadlineMillis;

    public ConsentClient(GrpcChannels channels, AccountsConfig config, ServiceTokens serviceTokens) {
        Channel channel = channels.open(config.consentService());
        this.stub = MutinyConsentServiceGrpc.newMutinyStub(channel);
        this.streams = ConsentServiceGrpc.newStub(channel);
        this.serviceTokens = serviceTokens;
        this.checkDeadlineMillis = config.consentDeadline().toMillis();
        this.writeDeadlineMillis = config.consentWriteDeadline().toMillis();
    }

    private MutinyConsentServiceGrpc.MutinyConsentServiceStub as(String token, long deadlineMillis) {
        return stub.withCallCredentials(new BearerToken(token)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public Uni<Consent> create(String personToken, CreateConsentRequest req) {
        return write("CreateConsent", personToken, s -> s.createConsent(req).map(r -> r.getConsent()));
    }

    /**
     * The person approved at their bank and this service exchanged the bank's code: it says so with its own token
     * (consent-service takes AuthoriseConsent from no one else), naming the person whose consent it is.
     */
    public Uni<Consent> authorise(String userId, String consentId, List<String> accountIds) {
        return write("AuthoriseConsent", null, s -> s.authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(consentId).setUserId(userId).addAllAccountIds(accountIds).build()).map(r -> r.getConsent()));
    }

    /** Rejects a consent awaiting authorisation; with a null token, as this service. */
    public Uni<Consent> reject(String personToken, String consentId, String reason) {
        return write("RejectConsent", personToken, s -> s.rejectConsent(RejectConsentRequest.newBuilder()
                .setConsentId(consentId).setReason(reason).build()).map(r -> r.getConsent()));
    }

    /**
     * The person revokes; with a null token this service records it for them (the retry of an Unlink that
     * consent-service could not be told about at once).
     */
    public Uni<Consent> revokeAsUser(String personToken, String consentId, String reason) {
        return revoke(personToken, Actor.ACTOR_USER, consentId, reason);
    }

    public Uni<Consent> revokeAsBank(String consentId, String reason) {
        return revoke(null, Actor.ACTOR_BANK, consentId, reason);
    }

    /** Commerce Chat itself ends the consent (service token), e.g. when a link failed after the person authorised it. */
    public Uni<Consent> revokeAsSystem(String consentId, String reason) {
        return revoke(null, Actor.ACTOR_SYSTEM, consentId, reason);
    }

    /** {@code personToken} null: as this service. */
    private Uni<Consent> revoke(String personToken, Actor by, String consentId, String reason) {
        return write("RevokeConsent", personToken, s -> s.revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId(consentId).setRevokedBy(by).setReason(reason).build()).map(r -> r.getConsent()));
    }

    /**
     * Asks before a bank-data read, as this service for the person in {@code req.user_id}. Any
     * failure to get an answer (down, slow, refused, no service token) is a denial: UNAVAILABLE,
     * never an allow.
     */
    public Uni<CheckAccessResponse> checkAccess(CheckAccessRequest req) {
        return CallerContext.resume(serviceTokens.accessToken()
                .chain(token -> as(token, checkDeadlineMillis).checkAccess(req))
                .onFailure().transform(e -> {
                    LOG.warnf("CheckAccess failed (%s): denying", describe(e));
                    return Status.UNAVAILABLE.withDescription(FAIL_CLOSED).asRuntimeException();
                }));
    }

    /**
     * A bank-data read by this service for the person, under the consent of the person's link: the access log shows
     * account-link-service reading, for this permission and purpose. Anything but an allow is PERMISSION_DENIED with
     * consent-service's reason (and an unanswered check UNAVAILABLE, as {@link #checkAccess}).
     */
    public Uni<Void> requireAccess(String userId, String bankId, String consentId, String bankAccountId, Permission permission,
            Purpose purpose) {
        return checkAccess(CheckAccessRequest.newBuilder().setUserId(userId).setBankId(bankId).setAccountId(bankAccountId)
                        .setPermission(permission).setPurpose(purpose).setConsentId(consentId).build())
                .invoke(decision -> {
                    if (decision.getDecision() != AccessDecision.ACCESS_DECISION_ALLOW) {
                        throw Rejections.denied("access denied: " + decision.getReason());
                    }
                })
                .replaceWithVoid();
    }

    /**
     * The consent event stream after a position (service token, no deadline: it follows new events), read as fast as
     * the subscriber takes it: a replay of a long log stays in consent-service, not in this heap.
     */
    public Multi<WatchConsentEventsResponse> watch(long afterPosition) {
        return CallerContext.resume(serviceTokens.accessToken().onItem().transformToMulti(token -> DemandPacedStream.follow(
                streams.withCallCredentials(new BearerToken(token))::watchConsentEvents,
                WatchConsentEventsRequest.newBuilder().setAfterPosition(afterPosition).build())));
    }

    /** A person-initiated change with the person's token, or this service's own when {@code personToken} is null. */
    private <T> Uni<T> write(String rpc, String personToken,
            Function<MutinyConsentServiceGrpc.MutinyConsentServiceStub, Uni<T>> call) {
        Uni<String> token = personToken != null ? Uni.createFrom().item(personToken) : serviceTokens.accessToken();
        return CallerContext.resume(token.chain(t -> call.apply(as(t, writeDeadlineMillis)))
                .onFailure().transform(e -> mapped(rpc, e)));
    }

    private static Throwable mapped(String rpc, Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            Status.Code code = s.getStatus().getCode();
            switch (code) {
                case INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, PERMISSION_DENIED, ABORTED -> {
                    return Status.fromCode(code).withDescription("consent-service: " + s.getStatus().getDescription())
                            .asRuntimeException();
                }
                default -> {
                    // falls through to UNAVAILABLE
                }
            }
        }
        LOG.warnf("%s failed (%s)", rpc, describe(e));
        return Status.UNAVAILABLE.withDescription("consent-service unavailable (" + rpc + ")").asRuntimeException();
    }

    private static String describe(Throwable e) {
        return e instanceof StatusRuntimeException s ? s.getStatus().getCode().name() : e.getClass().getSimpleName();
    }
}
