package io.commercechat.sandbox;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Codes that expire after three seconds (room for a loaded machine to exchange one in time), faults from configuration,
 * test hooks and the agent console off (as in prod).
 */
public class ShortLivedCodesProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("sandbox.code-ttl", "3s",
                "sandbox.test-hooks.enabled", "false",
                "sandbox.agent.enabled", "false",
                "sandbox.faults.get-balances.failure-rate", "1",
                "sandbox.faults.ListAccounts.latency", "300ms");
    }
}
