package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
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
import io.commercechat.proto.partner.v1.MutinyBankConnectorGrpc;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.commercechat.proto.partner.v1.RevokeAccessResponse;
import io.commercechat.support.BearerToken;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.util.TypeLiteral;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

/**
 * BankConnector calls to one partner bank, with this service's token for that bank (ServiceTokens), a deadline per call, a
 * circuit breaker of its own (one bank failing never blocks another) and retries with backoff for idempotent calls only
 * (each retry of a bank-data read checked against its consent again), all non-blocking: Mutiny stub, SmallRye Fault
 * Tolerance guards over {@code Uni} (retry delays on timers, never a sleeping thread). Failures become UNAVAILABLE or
 * DEADLINE_EXCEEDED naming the bank; the bank's business answers (FAILED_PRECONDITION,
 * PERMISSION_DENIED, ...) pass through. Requests carry bank tokens: nothing here logs a request or
 * a response.
 */
public class BankClient {

    private static final Logger LOG = Logger.getLogger(BankClient.class);
    /** Codes that say the bank (or the way to it) is failing, as opposed to a business answer. */
    private static final Set<Status.Code> FAILURES = EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAUTHENTICATED,
            Status.Code.UNIMPLEMENTED, Status.Code.DATA_LOSS, Status.Code.CANCELLED);
    /**
     * Codes of a call that may have been carried out at the bank with its answer lost on the way: no answer in time, the
     * connection lost or reset, the call cancelled, an answer that arrived broken.
     */
    private static final Set<Status.Code> OUTCOME_UNKNOWN = EnumSet.of(Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAVAILABLE,
            Status.Code.CANCELLED, Status.Code.UNKNOWN, Status.Code.INTERNAL, Status.Code.DATA_LOSS);

    private final String bankId;
    private final String displayName;
    /** The guards are typed at call time; every guarded action is a {@code Uni}. */
    private static final TypeLiteral<Uni<Object>> UNI = new TypeLiteral<>() {};

    private final MutinyBankConnectorGrpc.MutinyBankConnectorStub stub;
    private final ServiceTokens tokens;
    private final String tokenScope;
    private final long deadlineMillis;
    private final Guard breaker;
    private final Guard readRetry;

    public BankClient(String bankId, AccountsConfig.BankEndpoint endpoint, ManagedChannel channel, ServiceTokens tokens,
            AccountsConfig config) {
        this.bankId = bankId;
        this.displayName = endpoint.displayName();
        this.tokenScope = endpoint.tokenScope();
        this.stub = MutinyBankConnectorGrpc.newMutinyStub(channel);
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
                .whenException(e -> refusedRetry(e) == null
                        && unwrap(e) instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAVAILABLE)
                .withExponentialBackoff().done()
                .done()
                .build();
    }

    public String bankId() {
        return bankId;
    }

    public Uni<BeginAuthorisationResponse> beginAuthorisation(BeginAuthorisationRequest req) {
        return once("BeginAuthorisation", s -> s.beginAuthorisation(req));
    }

    /**
     * Not retried: a code is one-time, a second attempt is a replay, which the bank refuses, revoking what the code
     * granted (LinkFlow presents a code again on purpose only when the first answer was lost: {@link #outcomeUnknown}).
     */
    public Uni<ExchangeCodeResponse> exchangeCode(ExchangeCodeRequest req) {
        return once("ExchangeCode", s -> s.exchangeCode(req));
    }

    /**
     * The code of an exchange whose answer was lost, presented again so that the bank refuses it and revokes what it
     * issued from it. Past the breaker: the lost answer may be what opened it, and this one call is what ends a token
     * nobody here holds. Not retried either.
     */
    public Uni<ExchangeCodeResponse> presentCodeAgain(ExchangeCodeRequest req) {
        return guarded("ExchangeCode", attempt(s -> s.exchangeCode(req)));
    }

    /**
     * A read of bank data, whose consent check the caller made before calling. {@code checkAgain} is that check: each
     * retry goes to the bank only once it allowed it again ({@link #retried}).
     */
    public Uni<BankListAccountsResponse> listAccounts(BankListAccountsRequest req, Supplier<Uni<Void>> checkAgain) {
        return retried("ListAccounts", checkAgain, s -> s.listAccounts(req));
    }

    /** A read of bank data; {@code checkAgain} as for {@link #listAccounts}. */
    public Uni<BankGetBalancesResponse> getBalances(BankGetBalancesRequest req, Supplier<Uni<Void>> checkAgain) {
        return retried("GetBalances", checkAgain, s -> s.getBalances(req));
    }

    /** A read of bank data; {@code checkAgain} as for {@link #listAccounts}. */
    public Uni<BankListTransactionsResponse> listTransactions(BankListTransactionsRequest req, Supplier<Uni<Void>> checkAgain) {
        return retried("ListTransactions", checkAgain, s -> s.listTransactions(req));
    }

    /** Idempotent at the bank (revoking a revoked token succeeds), so it is retried like a read; no consent to check. */
    public Uni<RevokeAccessResponse> revokeAccess(RevokeAccessRequest req) {
        return guarded("RevokeAccess", () -> readRetry.get(() -> breaker.get(attempt(s -> s.revokeAccess(req)), UNI), UNI));
    }

    private <T> Uni<T> once(String rpc, Function<MutinyBankConnectorGrpc.MutinyBankConnectorStub, Uni<T>> call) {
        return guarded(rpc, () -> breaker.get(attempt(call), UNI));
    }

    /**
     * Retried with backoff on UNAVAILABLE; every retry first runs {@code beforeRetry}. For a read that is its consent
     * check again: the first attempt's allow says nothing of a revocation in the seconds of backoff since (before, the
     * retries went out under it). A refusal, or no answer from consent-service (fail closed), ends the call with that
     * failure as it is: not retried, and outside the breaker, so it never counts against the bank.
     */
    private <T> Uni<T> retried(String rpc, Supplier<Uni<Void>> beforeRetry,
            Function<MutinyBankConnectorGrpc.MutinyBankConnectorStub, Uni<T>> call) {
        return guarded(rpc, () -> {
            AtomicBoolean first = new AtomicBoolean(true);  // one per call: guarded subscribes anew each time
            return readRetry.get(() -> (first.getAndSet(false) ? Uni.createFrom().voidItem()
                    : beforeRetry.get().onFailure().transform(RetryRefused::new))
                    .chain(() -> breaker.get(attempt(call), UNI)), UNI);
        });
    }

    /** A retry that its check before it refused: the refusal is the answer, not a failure of the bank. */
    private static final class RetryRefused extends RuntimeException {
        RetryRefused(Throwable refusal) {
            super(refusal.getMessage(), refusal, false, false);
        }
    }

    /** One attempt: this service's token for this bank, a fresh deadline. */
    @SuppressWarnings("unchecked")
    private <T> Supplier<Uni<Object>> attempt(Function<MutinyBankConnectorGrpc.MutinyBankConnectorStub, Uni<T>> call) {
        return () -> (Uni<Object>) tokens.bankToken(tokenScope).chain(token -> call.apply(stub.withCallCredentials(new BearerToken(token))
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)));
    }

    @SuppressWarnings("unchecked")
    private <T> Uni<T> guarded(String rpc, Supplier<Uni<Object>> call) {
        // deferred: each subscription is a new guarded call (the breaker counts calls, not Uni instances)
        Uni<Object> guardedCall = Uni.createFrom().deferred(() -> call.get()).onFailure().transform(e -> mapped(rpc, e));
        return CallerContext.resume((Uni<T>) guardedCall);
    }

    /**
     * Whether a call this client failed with {@code failure} may have been carried out at the bank all the same: it went
     * out, and its answer was lost ({@link #OUTCOME_UNKNOWN}). Not for the bank's answers (a refusal), nor for a call the
     * open breaker or a missing token for the bank kept from going out.
     */
    public static boolean outcomeUnknown(Throwable failure) {
        return failure instanceof StatusRuntimeException mapped && mapped.getCause() instanceof StatusRuntimeException lost
                && OUTCOME_UNKNOWN.contains(lost.getStatus().getCode());
    }

    /** The failure as callers see it; a failure of the call itself keeps gRPC's own as its cause ({@link #outcomeUnknown}). */
    private Throwable mapped(String rpc, Throwable thrown) {
        RetryRefused refused = refusedRetry(thrown);
        if (refused != null) {
            // the check's own answer (its status and description), marked as such for refusedOnRetry
            Status status = refused.getCause() instanceof StatusRuntimeException s ? s.getStatus()
                    : Status.UNAVAILABLE.withDescription("the read could not be checked again: access denied (fail closed)");
            LOG.infof("bank %s %s: not retried, its check refused it (%s)", bankId, rpc, status.getCode());
            return status.withCause(refused).asRuntimeException();
        }
        Throwable failure = unwrap(thrown);
        if (failure instanceof CircuitBreakerOpenException) {
            return Status.UNAVAILABLE.withDescription("bank " + displayName + " (" + bankId
                    + ") is unavailable: too many recent failures, try again shortly").asRuntimeException();
        }
        if (failure instanceof StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.DEADLINE_EXCEEDED) {
                LOG.warnf("bank %s %s: deadline exceeded", bankId, rpc);
                return Status.DEADLINE_EXCEEDED.withDescription("bank " + displayName + " (" + bankId
                        + ") did not answer in time").withCause(e).asRuntimeException();
            }
            if (isFailure(e)) {
                LOG.warnf("bank %s %s failed: %s", bankId, rpc, code);
                return Status.UNAVAILABLE.withDescription("bank " + displayName + " (" + bankId + ") is unavailable")
                        .withCause(e).asRuntimeException();
            }
            return e;
        }
        LOG.warnf("bank %s %s failed: %s", bankId, rpc, failure.getClass().getSimpleName());
        return Status.UNAVAILABLE.withDescription("bank " + displayName + " (" + bankId + ") is unavailable")
                .asRuntimeException();
    }

    private static boolean isFailure(Throwable thrown) {
        Throwable e = unwrap(thrown);
        return !(e instanceof StatusRuntimeException s) || FAILURES.contains(s.getStatus().getCode());
    }

    /**
     * Whether a read failed because the check before one of its retries refused it: the failure is that check's answer
     * (as consent-service gave it), not the bank's.
     */
    public static boolean refusedOnRetry(Throwable failure) {
        return refusedRetry(failure) != null;
    }

    private static RetryRefused refusedRetry(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RetryRefused refused) {
                return refused;
            }
        }
        return null;
    }

    /** The gRPC status or the open breaker, should an async layer have wrapped it. */
    private static Throwable unwrap(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException || t instanceof CircuitBreakerOpenException) {
                return t;
            }
        }
        return e;
    }
}
