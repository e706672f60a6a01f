package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Calls to consent-service. Person-initiated calls forward the person's token (consent-service
 * then authorizes by its {@code sub} too); the rest use this service's own token. Every call has a
 * deadline; CheckAccess fails closed.
 */
@ApplicationScoped
public class ConsentClient {

    public static final String FAIL_CLOSED = "consent-service unavailable: access denied (fail closed)";
    private static final Logger LOG = Logger.getLogger(ConsentClient.class);

    private final ConsentServiceGrpc.ConsentServiceBlockingStub stub;
    private final ServiceTokens serviceTokens;
    private final long checkDeadlineMillis;
    private final long writeDeadlineMillis;

    public ConsentClient(GrpcChannels channels, AccountsConfig config, ServiceTokens serviceTokens) {
        this.stub = ConsentServiceGrpc.newBlockingStub(channels.open(config.consentService()));
        this.serviceTokens = serviceTokens;
        this.checkDeadlineMillis = config.consentDeadline().toMillis();
        this.writeDeadlineMillis = config.consentWriteDeadline().toMillis();
    }

    private ConsentServiceGrpc.ConsentServiceBlockingStub as(String token) {
        return stub.withCallCredentials(new BearerToken(token)).withDeadlineAfter(writeDeadlineMillis, TimeUnit.MILLISECONDS);
    }

    private String service() {
        return serviceTokens.accessToken();
    }

    public Consent create(String personToken, CreateConsentRequest req) {
        return call("CreateConsent", () -> as(personToken).createConsent(req).getConsent());
    }

    public Consent authorise(String personToken, String consentId, List<String> accountIds) {
        return call("AuthoriseConsent", () -> as(personToken).authoriseConsent(AuthoriseConsentRequest.newBuilder()
                .setConsentId(consentId).addAllAccountIds(accountIds).build()).getConsent());
    }

    /** Rejects a consent awaiting authorisation; with a null token, as this service. */
    public Consent reject(String personToken, String consentId, String reason) {
        String token = personToken != null ? personToken : service();
        return call("RejectConsent", () -> as(token).rejectConsent(RejectConsentRequest.newBuilder()
                .setConsentId(consentId).setReason(reason).build()).getConsent());
    }

    public Consent revokeAsUser(String personToken, String consentId, String reason) {
        return call("RevokeConsent", () -> as(personToken).revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId(consentId).setRevokedBy(Actor.ACTOR_USER).setReason(reason).build()).getConsent());
    }

    public Consent revokeAsBank(String consentId, String reason) {
        String token = service();
        return call("RevokeConsent", () -> as(token).revokeConsent(RevokeConsentRequest.newBuilder()
                .setConsentId(consentId).setRevokedBy(Actor.ACTOR_BANK).setReason(reason).build()).getConsent());
    }

    /**
     * Asks before a bank-data read. Any failure to get an answer (down, slow, refused) is a
     * denial: UNAVAILABLE, never an allow.
     */
    public CheckAccessResponse checkAccess(String personToken, CheckAccessRequest req) {
        try {
            return stub.withCallCredentials(new BearerToken(personToken))
                    .withDeadlineAfter(checkDeadlineMillis, TimeUnit.MILLISECONDS).checkAccess(req);
        } catch (RuntimeException e) {
            LOG.warnf("CheckAccess failed (%s): denying", describe(e));
            throw Status.UNAVAILABLE.withDescription(FAIL_CLOSED).asRuntimeException();
        }
    }

    /** The consent event stream after a position (service token, no deadline: it follows new events). */
    public Iterator<WatchConsentEventsResponse> watch(long afterPosition) {
        return stub.withCallCredentials(new BearerToken(service()))
                .watchConsentEvents(WatchConsentEventsRequest.newBuilder().setAfterPosition(afterPosition).build());
    }

    private static <T> T call(String rpc, Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            switch (code) {
                case INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, PERMISSION_DENIED, ABORTED -> throw Status.fromCode(code)
                        .withDescription("consent-service: " + e.getStatus().getDescription()).asRuntimeException();
                default -> {
                    LOG.warnf("%s failed (%s)", rpc, describe(e));
                    throw Status.UNAVAILABLE.withDescription("consent-service unavailable (" + rpc + ")").asRuntimeException();
                }
            }
        }
    }

    private static String describe(RuntimeException e) {
        return e instanceof StatusRuntimeException s ? s.getStatus().getCode().name() : e.getClass().getSimpleName();
    }
}
