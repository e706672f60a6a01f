package io.commercechat.sandbox.testhooks;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.commercechat.sandbox.config.SandboxConfigs;
import io.commercechat.sandbox.security.Peers;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The test hooks act for the bank and the shop without a login, so even when enabled they answer only to this machine:
 * a real Vert.x server on 127.0.0.1 with the guard in its router, and real connections from this machine's
 * non-loopback address and from 127.0.0.1. Skipped on a machine without a non-loopback address.
 */
class TestHooksGuardTest {

    @Test
    void enabledHooksAnswerOnlyToTheLoopback() throws Exception {
        Optional<InetAddress> external = Peers.nonLoopbackAddress();
        assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to connect from");
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            new TestHooks(SandboxConfigs.with(Map.of("sandbox.test-hooks.enabled", "true"))).register(router);
            router.route().handler(ctx -> ctx.response().end("served " + ctx.normalizedPath()));
            int port = Peers.serve(vertx, router);
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            String host = "127.0.0.1:" + port;
            for (String path : new String[] {"/sandbox/faults", "//sandbox/faults", "/Sandbox/shop/receipts", "/sandbox;x/codes/use"}) {
                String remote = Peers.request(external.get(), port, host, "POST", path);
                assertTrue(remote.startsWith("HTTP/1.1 403 ") && remote.contains(":test-hooks-remote\""), path + ":\n" + remote);
                String local = Peers.request(loopback, port, host, "POST", path);
                assertTrue(local.startsWith("HTTP/1.1 200 "), path + " from the loopback:\n" + local);
            }
            // the rest of the sandbox (the bank's authorisation page, gRPC) is for the network
            String page = Peers.request(external.get(), port, host, "GET", "/bank/authorise");
            assertTrue(page.startsWith("HTTP/1.1 200 ") && page.endsWith("served /bank/authorise"), page);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
