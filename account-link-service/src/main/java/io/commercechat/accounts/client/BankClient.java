package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.proto.partner.v1.BankConnectorGrpc;
import io.commercechat.proto.partner.v1.BankGetBalancesRequest;
import io.commercechat.proto.partner.v1.BankGetBalancesResponse;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.BankListAccountsResponse;
import io.commercechat.proto.partner.v1.BankListTransactionsRequest;
import io.commercechat.proto.partner.v1.BankListTransactionsResponse;
import io.commercechat.proto.partner.v1.BeginAuthorisationRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.commercechat.proto.partner.v1.RevokeAccessResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.faulttolerance.api.Guard;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

/**
 * BankConnector calls to one partner bank, with this service's token, a deadline per call, a
 * circuit breaker of its own (one bank failing never blocks another) and retries with backoff for
 * idempotent reads only. Failures become UNAVAILABLE or DEADLINE_EXCEEDED naming the bank; the
 * bank's business answers (FAILED_PRECONDITION, PERMISSION_DENIED, ...) pass through. Requests
 * carry bank tokens: nothing here logs a request or a response.
 */
public class BankClient {

    private static final Logger LOG = Logger.getLogger(BankClient.class);
    /** Codes that say the bank (or the way to it) is failing, as opposed to a business answer. */
    private static final Set<Status.Code> FAILURES = EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAUTHENTICATED,
            Status.Code.UNIMPLEMENTED, Status.Code.DATA_LOSS, Status.Code.CANCELLED);

    private final String bankId;
    private final String displayName;
    private final BankConnectorGrpc.BankConnectorBlockingStub stub;
    private final ServiceTokens tokens;
    private final long deadlineMillis;
    private final Guard breaker;
    private final Guard readRetry;

    public BankClient(String bankId, String displayName, ManagedChannel channel, ServiceTokens tokens, AccountsConfig config) {
        this.bankId = bankId;
        this.displayName = displayName;
        this.stub = BankConnectorGrpc.newBlockingStub(channel);
        this.tokens = tokens;
        this.deadlineMillis = config.bankDeadline().toMillis();
        AccountsConfig.CircuitBreaker cb = config.circuitBreaker();
        this.breaker = Guard.create()
                .withCircuitBreaker()
                .requestVolumeThreshold(cb.requestVolumeThreshold())
                .failureRatio(cb.failureRatio())
                .delay(cb.delay().toMillis(), ChronoUnit.MILLIS)
                .when(BankClient::isFailure)
                .onStateChange(state -> LOG.infof("circuit breaker of bank %s is now %s", bankId, state))
                .done()
                .build();
        long backoff = Math.max(1, config.bankRetryBackoff().toMillis());
        this.readRetry = Guard.create()
                .withRetry()
                .maxRetries(config.bankReadRetries())
                .delay(backoff, ChronoUnit.MILLIS)
                .jitter(backoff / 2, ChronoUnit.MILLIS)
                .whenException(e -> e instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAVAILABLE)
                .withExponentialBackoff().done()
                .done()
                .build();
    }

    public String bankId() {
        return bankId;
    }

    public BeginAuthorisationResponse beginAuthorisation(BeginAuthorisationRequest req) {
        return once("BeginAuthorisation", s -> s.beginAuthorisation(req));
    }

    /** Not retried: a code is one-time, a second attempt would look like a replay. */
    public ExchangeCodeResponse exchangeCode(ExchangeCodeRequest req) {
        return once("ExchangeCode", s -> s.exchangeCode(req));
    }

    public BankListAccountsResponse listAccounts(BankListAccountsRequest req) {
        return read("ListAccounts", s -> s.listAccounts(req));
    }

    public BankGetBalancesResponse getBalances(BankGetBalancesRequest req) {
        return read("GetBalances", s -> s.getBalances(req));
    }

    public BankListTransactionsResponse listTransactions(BankListTransactionsRequest req) {
        return read("ListTransactions", s -> s.listTransactions(req));
    }

    /** Idempotent at the bank (revoking a revoked token succeeds), so it is retried like a read. */
    public RevokeAccessResponse revokeAccess(RevokeAccessRequest req) {
        return read("RevokeAccess", s -> s.revokeAccess(req));
    }

    private <T> T once(String rpc, Function<BankConnectorGrpc.BankConnectorBlockingStub, T> call) {
        return guarded(rpc, () -> breaker.call(attempt(call), Object.class));
    }

    private <T> T read(String rpc, Function<BankConnectorGrpc.BankConnectorBlockingStub, T> call) {
        return guarded(rpc, () -> readRetry.call(() -> breaker.call(attempt(call), Object.class), Object.class));
    }

    private <T> Callable<Object> attempt(Function<BankConnectorGrpc.BankConnectorBlockingStub, T> call) {
        return () -> call.apply(stub.withCallCredentials(new BearerToken(tokens.accessToken()))
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
    }

    @SuppressWarnings("unchecked")
    private <T> T guarded(String rpc, Callable<Object> call) {
        try {
            return (T) call.call();
        } catch (CircuitBreakerOpenException open) {
            throw Status.UNAVAILABLE.withDescription("bank " + displayName + " (" + bankId
                    + ") is unavailable: too many recent failures, try again shortly").asRuntimeException();
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.DEADLINE_EXCEEDED) {
                LOG.warnf("bank %s %s: deadline exceeded", bankId, rpc);
                throw Status.DEADLINE_EXCEEDED.withDescription("bank " + displayName + " (" + bankId
                        + ") did not answer in time").asRuntimeException();
            }
            if (isFailure(e)) {
                LOG.warnf("bank %s %s failed: %s", bankId, rpc, code);
                throw Status.UNAVAILABLE.withDescription("bank " + displayName + " (" + bankId + ") is unavailable")
                        .asRuntimeException();
            }
            throw e;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            LOG.warnf("bank %s %s failed: %s", bankId, rpc, e.getClass().getSimpleName());
            throw Status.UNAVAILABLE.withDescription("bank " + displayName + " (" + bankId + ") is unavailable")
                    .asRuntimeException();
        }
    }

    private static boolean isFailure(Throwable e) {
        return !(e instanceof StatusRuntimeException s) || FAILURES.contains(s.getStatus().getCode());
    }
}
