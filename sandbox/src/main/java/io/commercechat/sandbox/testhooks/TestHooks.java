package io.commercechat.sandbox.testhooks;

import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.sandbox.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;

/** Guard of the /sandbox/** test hooks: they answer 404 unless {@code sandbox.test-hooks.enabled}. */
@ApplicationScoped
public class TestHooks {

    private final boolean enabled;

    public TestHooks(SandboxConfig config) {
        this.enabled = config.testHooks().enabled();
    }

    public void requireEnabled() {
        if (!enabled) {
            throw new ProblemException(404, "test-hooks-disabled", "Not found",
                    "sandbox test hooks are disabled (sandbox.test-hooks.enabled=false)");
        }
    }
}
