package io.commercechat.sandbox.faults;

import io.commercechat.sandbox.config.SandboxConfig;
import io.grpc.Status;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Makes the bank slow or down on purpose, per RPC: a latency added before the RPC runs and a
 * failure rate (0..1) of UNAVAILABLE answers. Starts from {@code sandbox.faults.*} and can be
 * changed at runtime (PUT /sandbox/faults). A fault set at runtime may come after the work instead
 * (the bank did what was asked, and its answer is late or lost on the way: {@link Fault#afterWork}),
 * and may hold for the next few calls only. The delay never blocks a thread.
 */
@ApplicationScoped
public class FaultInjector {

    /** The BankConnector RPCs, by the name used in config keys and in the test hook. */
    public enum Rpc {
        BEGIN_AUTHORISATION("BeginAuthorisation"),
        EXCHANGE_CODE("ExchangeCode"),
        LIST_ACCOUNTS("ListAccounts"),
        GET_BALANCES("GetBalances"),
        LIST_TRANSACTIONS("ListTransactions"),
        REVOKE_ACCESS("RevokeAccess");

        public final String rpcName;

        Rpc(String rpcName) {
            this.rpcName = rpcName;
        }

        /** Accepts "ListTransactions", "list-transactions", "list_transactions" (any case). */
        public static Optional<Rpc> parse(String name) {
            String wanted = normalise(name);
            return Arrays.stream(values()).filter(r -> normalise(r.rpcName).equals(wanted)).findFirst();
        }

        private static String normalise(String name) {
            return name == null ? "" : name.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
        }
    }

    /**
     * {@code afterWork}: the RPC is carried out first and the latency and failure are applied to its answer, as when the
     * answer of a call the bank completed is slow to come back or lost (a deadline, a connection cut).
     */
    public record Fault(Duration latency, double failureRate, boolean afterWork) {
        public static final Fault NONE = new Fault(Duration.ZERO, 0);

        public Fault(Duration latency, double failureRate) {
            this(latency, failureRate, false);
        }

        public Fault {
            if (latency == null || latency.isNegative()) {
                throw new IllegalArgumentException("latency must not be negative");
            }
            if (!(failureRate >= 0 && failureRate <= 1)) {
                throw new IllegalArgumentException("failure rate must be between 0 and 1");
            }
        }
    }

    /** A fault for the next {@code left} calls of an RPC only; then the RPC's own fault applies again. */
    private record ForNextCalls(Fault fault, CallsLeft left) {}

    private final Map<Rpc, Fault> configured;
    private final Map<Rpc, Fault> current = new ConcurrentHashMap<>();
    private final Map<Rpc, ForNextCalls> forNextCalls = new ConcurrentHashMap<>();

    public FaultInjector(SandboxConfig config) {
        Map<Rpc, Fault> fromConfig = new TreeMap<>();
        config.faults().forEach((name, f) -> {
            Rpc rpc = Rpc.parse(name).orElseThrow(() -> new IllegalArgumentException(
                    "sandbox.faults." + name + ": unknown RPC; use one of " + Arrays.stream(Rpc.values())
                            .map(r -> r.rpcName).collect(Collectors.joining(", "))));
            try {
                fromConfig.put(rpc, new Fault(f.latency().orElse(Duration.ZERO), f.failureRate()));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException("sandbox.faults." + name + ": " + bad.getMessage(), bad);
            }
        });
        this.configured = Map.copyOf(fromConfig);
        reset();
    }

    /** The RPC's fault, which the next few calls may not have yet ({@link #callsLeft}). */
    public Fault get(Rpc rpc) {
        return forNextCalls(rpc).map(ForNextCalls::fault).orElseGet(() -> current.getOrDefault(rpc, Fault.NONE));
    }

    /** How many more calls of the RPC {@link #get} holds for before its own fault applies again; empty: until changed. */
    public Optional<Integer> callsLeft(Rpc rpc) {
        return forNextCalls(rpc).flatMap(next -> next.left().count());
    }

    private Optional<ForNextCalls> forNextCalls(Rpc rpc) {
        return Optional.ofNullable(forNextCalls.get(rpc)).filter(next -> next.left().inForce());
    }

    public Map<Rpc, Fault> all() {
        Map<Rpc, Fault> all = new TreeMap<>();
        for (Rpc rpc : Rpc.values()) {
            all.put(rpc, get(rpc));
        }
        return all;
    }

    public void set(Rpc rpc, Fault fault) {
        forNextCalls.remove(rpc);
        current.put(rpc, fault);
    }

    /** {@code fault} for the next {@code calls} calls of the RPC only, then its fault as it was. */
    public void setForNextCalls(Rpc rpc, Fault fault, int calls) {
        forNextCalls.put(rpc, new ForNextCalls(fault, CallsLeft.of(calls)));
    }

    /** Back to what the configuration says. */
    public void reset() {
        forNextCalls.clear();
        current.clear();
        current.putAll(configured);
    }

    /**
     * Runs {@code work} for one call of the RPC under its fault: the latency and the failure before the work, or, for a
     * fault after the work, on its answer (which is then late, or lost: the failure replaces it).
     */
    public <R> Uni<R> around(Rpc rpc, Supplier<R> work) {
        Fault f = take(rpc);
        if (!f.afterWork()) {
            return apply(f).map(ignored -> work.get());
        }
        // the work's outcome, whichever it is, waits for the fault; a failure injected then replaces it
        return Uni.createFrom().item(work).onItemOrFailure().transformToUni((item, failure) -> apply(f)
                .chain(() -> failure == null ? Uni.createFrom().item(item) : Uni.createFrom().<R>failure(failure)));
    }

    /** The fault of this call: one of the next calls' fault while any is left, else the RPC's own. */
    private Fault take(Rpc rpc) {
        ForNextCalls next = forNextCalls.get(rpc);
        if (next != null && next.left().take()) {
            return next.fault();
        }
        return current.getOrDefault(rpc, Fault.NONE);
    }

    /** Completes after the latency, or fails with UNAVAILABLE as often as the fault says. */
    private static Uni<Void> apply(Fault f) {
        Uni<Void> start = Uni.createFrom().voidItem();
        if (!f.latency().isZero()) {
            start = start.onItem().delayIt().by(f.latency());
        }
        if (f.failureRate() > 0) {
            start = start.onItem().invoke(() -> {
                if (f.failureRate() >= 1 || ThreadLocalRandom.current().nextDouble() < f.failureRate()) {
                    throw Status.UNAVAILABLE.withDescription(f.afterWork()
                            ? "sandbox bank: injected failure after the call was carried out (its answer is lost)"
                            : "sandbox bank: injected failure").asRuntimeException();
                }
            });
        }
        return start;
    }
}
