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
import java.util.stream.Collectors;

/**
 * Makes the bank slow or down on purpose, per RPC: a latency added before the RPC runs and a
 * failure rate (0..1) of UNAVAILABLE answers. Starts from {@code sandbox.faults.*} and can be
 * changed at runtime (PUT /sandbox/faults). The delay never blocks a thread.
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

    public record Fault(Duration latency, double failureRate) {
        public static final Fault NONE = new Fault(Duration.ZERO, 0);

        public Fault {
            if (latency == null || latency.isNegative()) {
                throw new IllegalArgumentException("latency must not be negative");
            }
            if (!(failureRate >= 0 && failureRate <= 1)) {
                throw new IllegalArgumentException("failure rate must be between 0 and 1");
            }
        }
    }

    private final Map<Rpc, Fault> configured;
    private final Map<Rpc, Fault> current = new ConcurrentHashMap<>();

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

    public Fault get(Rpc rpc) {
        return current.getOrDefault(rpc, Fault.NONE);
    }

    public Map<Rpc, Fault> all() {
        Map<Rpc, Fault> all = new TreeMap<>();
        for (Rpc rpc : Rpc.values()) {
            all.put(rpc, get(rpc));
        }
        return all;
    }

    public void set(Rpc rpc, Fault fault) {
        current.put(rpc, fault);
    }

    /** Back to what the configuration says. */
    public void reset() {
        current.clear();
        current.putAll(configured);
    }

    /** Completes after the configured latency, or fails with UNAVAILABLE as often as configured. */
    public Uni<Void> before(Rpc rpc) {
        Fault f = get(rpc);
        Uni<Void> start = Uni.createFrom().voidItem();
        if (!f.latency().isZero()) {
            start = start.onItem().delayIt().by(f.latency());
        }
        if (f.failureRate() > 0) {
            start = start.onItem().invoke(() -> {
                if (f.failureRate() >= 1 || ThreadLocalRandom.current().nextDouble() < f.failureRate()) {
                    throw Status.UNAVAILABLE.withDescription("sandbox bank: injected failure").asRuntimeException();
                }
            });
        }
        return start;
    }
}
