package io.commercechat.sandbox.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.sandbox.config.SandboxConfigs;
import io.commercechat.sandbox.security.LocalOnly;
import io.commercechat.sandbox.security.Peers;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AgentConsoleGuardTest {

    @Test
    void everySpellingOfTheConsolePathIsGuarded() {
        for (String path : new String[] {"/agent", "/agent/", "/agent/index.html", "/agent/events", "//agent/status",
                "/agent;x/status", "/AGENT/status", "/agent%2Fstatus", "/agent\\status"}) {
            assertTrue(LocalOnly.isUnder("/agent", path), path);
        }
        for (String path : new String[] {"/", "/agents", "/agent-tools", "/bank/authorise", "/sandbox/faults", "/q/health/ready",
                "/commercechat.partner.v1.BankConnector/ListAccounts", ""}) {
            assertFalse(LocalOnly.isUnder("/agent", path), path);
        }
        assertFalse(LocalOnly.isUnder("/agent", null));
    }

    @Test
    void theHostPartOfAHostHeader() {
        assertEquals("127.0.0.1", AgentConsoleGuard.hostOf("127.0.0.1:8083"));
        assertEquals("localhost", AgentConsoleGuard.hostOf("LocalHost"));
        assertEquals("::1", AgentConsoleGuard.hostOf("[::1]:8083"));
        assertEquals("::1", AgentConsoleGuard.hostOf("[::1]"));
        assertEquals("evil.example", AgentConsoleGuard.hostOf("evil.example:8083"));
        // malformed: no host of ours to be had from them
        assertNull(AgentConsoleGuard.hostOf("localhost:80@evil.example"));
        assertNull(AgentConsoleGuard.hostOf("[::1"));
        assertNull(AgentConsoleGuard.hostOf("[::1]evil"));
        assertNull(AgentConsoleGuard.hostOf(":8083"));
        assertNull(AgentConsoleGuard.hostOf(""));
    }

    @Test
    void onlyLoopbackPeersAreLoopback() {
        for (String ip : new String[] {"127.0.0.1", "127.0.0.6", "0:0:0:0:0:0:0:1", "::1", "::ffff:127.0.0.1"}) {
            assertTrue(LocalOnly.isLoopback(SocketAddress.inetSocketAddress(40000, ip)), ip);
        }
        for (String ip : new String[] {"10.1.2.3", "192.0.2.2", "fd00::2", "0.0.0.0", "::ffff:10.1.2.3"}) {
            assertFalse(LocalOnly.isLoopback(SocketAddress.inetSocketAddress(40000, ip)), ip);
        }
        assertFalse(LocalOnly.isLoopback(SocketAddress.domainSocketAddress("/tmp/sandbox.sock")));
        assertFalse(LocalOnly.isLoopback(null));
    }

    /**
     * The Host header is the client's to choose: a client that reaches the sandbox over the network (the cluster's edge,
     * say) and names 127.0.0.1 is still refused. A real Vert.x server with the guard in its router, on 127.0.0.1 as every
     * test server here, and real connections to it: one sent from this machine's non-loopback address (the client socket
     * bound to it, so that the server's peer address is that address), one from 127.0.0.1. Skipped on a machine without
     * a non-loopback address.
     */
    @Test
    void aConnectionFromAnotherAddressIsRefusedWhateverHostItNames() throws Exception {
        Optional<InetAddress> external = Peers.nonLoopbackAddress();
        assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to connect from");
        SandboxConfig config = SandboxConfigs.with(Map.of("sandbox.agent.enabled", "true"));
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            new AgentConsoleGuard(config).register(router);
            router.get("/agent/status").handler(ctx -> ctx.response().end("console"));
            int port = Peers.serve(vertx, router);
            for (String host : new String[] {"127.0.0.1:" + port, "localhost", "[::1]:" + port}) {
                String answer = get(external.get(), port, host);
                assertTrue(answer.startsWith("HTTP/1.1 403 "), "from " + external.get() + " with Host " + host + ":\n" + answer);
                assertTrue(answer.contains(":agent-console-remote\""), answer);
                assertTrue(answer.contains("X-Frame-Options: DENY") || answer.contains("x-frame-options: DENY"), answer);
            }
            String local = get(InetAddress.getByName("127.0.0.1"), port, "127.0.0.1:" + port);
            assertTrue(local.startsWith("HTTP/1.1 200 ") && local.endsWith("console"), local);
            // a loopback connection naming another host is still the Host check's (DNS rebinding)
            assertTrue(get(InetAddress.getByName("127.0.0.1"), port, "evil.example:" + port).contains(":agent-console-host\""));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static String get(InetAddress from, int port, String host) throws IOException {
        return Peers.request(from, port, host, "GET", "/agent/status");
    }
}
