package io.commercechat.sandbox.testhooks;

import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.sandbox.rest.Problem;
import io.commercechat.sandbox.rest.ProblemException;
import io.commercechat.sandbox.rest.ProblemMappers;
import io.commercechat.sandbox.security.LocalOnly;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Guard of the /sandbox/** test hooks: they answer 404 unless {@code sandbox.test-hooks.enabled}, and, when enabled,
 * only to connections from this machine's loopback (403). They have no login and act for the bank and the shop
 * (fault injection takes the bank down, receipts go out as the demo shop), so a sandbox reached over the network
 * (a cluster's edge, a port opened by mistake) must not offer them.
 */
@ApplicationScoped
public class TestHooks {

    static final String PATH = "/sandbox";

    private final boolean enabled;
    private final Problem notLoopback = Problem.of(403, "test-hooks-remote", "Forbidden",
            "the sandbox's test hooks answer only to connections from this machine's loopback (or kubectl port-forward)");

    public TestHooks(SandboxConfig config) {
        this.enabled = config.testHooks().enabled();
    }

    void register(@Observes Router router) {
        // before the REST resources, which never see the connection
        router.route().order(Integer.MIN_VALUE + 1).handler(this::guard);
    }

    void guard(RoutingContext ctx) {
        if (enabled && LocalOnly.isUnder(PATH, ctx.normalizedPath())
                && !LocalOnly.isLoopback(ctx.request().connection().remoteAddress())) {
            ProblemMappers.end(ctx, notLoopback);
        } else {
            ctx.next();
        }
    }

    public void requireEnabled() {
        if (!enabled) {
            throw new ProblemException(404, "test-hooks-disabled", "Not found",
                    "sandbox test hooks are disabled (sandbox.test-hooks.enabled=false)");
        }
    }
}
