package io.commercechat.sandbox.testhooks;

import io.commercechat.sandbox.faults.FaultInjector;
import io.commercechat.sandbox.faults.FaultInjector.Fault;
import io.commercechat.sandbox.faults.FaultInjector.Rpc;
import io.commercechat.sandbox.rest.ProblemException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Test hook: make the bank slow or down at runtime, e.g. {@code PUT /sandbox/faults
 * {"rpc":"ListTransactions","latencyMillis":3000,"failureRate":0}}; {@code "rpc":"*"} sets every
 * RPC; {@code DELETE} restores the configured values. {@code "afterWork":true}: the RPC is carried
 * out and then its answer is late or lost (the caller's deadline, a cut connection after the bank
 * acted); {@code "calls":n}: for the next n calls only, then the RPC's fault is as it was.
 */
@Path("/sandbox/faults")
@Produces(MediaType.APPLICATION_JSON)
public class FaultsResource {

    static final long MAX_LATENCY_MILLIS = 120_000;

    private final FaultInjector faults;
    private final TestHooks hooks;

    public FaultsResource(FaultInjector faults, TestHooks hooks) {
        this.faults = faults;
        this.hooks = hooks;
    }

    /** {@code calls}: null for "until changed"; in answers, how many calls the setting still holds for. */
    public record FaultSetting(String rpc, Long latencyMillis, Double failureRate, Boolean afterWork, Integer calls) {}

    @GET
    public List<FaultSetting> list() {
        hooks.requireEnabled();
        return current();
    }

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    public List<FaultSetting> set(FaultSetting setting) {
        hooks.requireEnabled();
        if (setting == null || setting.rpc() == null || setting.rpc().isBlank()) {
            throw ProblemException.badRequest("rpc is required: one of " + names() + ", or * for all");
        }
        long latency = setting.latencyMillis() == null ? 0 : setting.latencyMillis();
        double rate = setting.failureRate() == null ? 0 : setting.failureRate();
        if (latency < 0 || latency > MAX_LATENCY_MILLIS) {
            throw ProblemException.badRequest("latencyMillis must be between 0 and " + MAX_LATENCY_MILLIS);
        }
        if (!(rate >= 0 && rate <= 1)) {
            throw ProblemException.badRequest("failureRate must be between 0 and 1");
        }
        if (setting.calls() != null && setting.calls() < 1) {
            throw ProblemException.badRequest("calls must be at least 1 (or left out: until changed)");
        }
        Fault fault = new Fault(Duration.ofMillis(latency), rate, Boolean.TRUE.equals(setting.afterWork()));
        List<Rpc> rpcs = setting.rpc().equals("*") ? Arrays.asList(Rpc.values())
                : List.of(Rpc.parse(setting.rpc()).orElseThrow(() -> ProblemException.badRequest(
                        "unknown rpc '" + setting.rpc() + "': use one of " + names() + ", or * for all")));
        for (Rpc rpc : rpcs) {
            if (setting.calls() == null) {
                faults.set(rpc, fault);
            } else {
                faults.setForNextCalls(rpc, fault, setting.calls());
            }
        }
        return current();
    }

    @DELETE
    public List<FaultSetting> reset() {
        hooks.requireEnabled();
        faults.reset();
        return current();
    }

    private List<FaultSetting> current() {
        return faults.all().entrySet().stream()
                .map(e -> new FaultSetting(e.getKey().rpcName, e.getValue().latency().toMillis(), e.getValue().failureRate(),
                        e.getValue().afterWork(), faults.callsLeft(e.getKey()).orElse(null)))
                .toList();
    }

    private static String names() {
        return Arrays.stream(Rpc.values()).map(r -> r.rpcName).collect(Collectors.joining(", "));
    }
}
