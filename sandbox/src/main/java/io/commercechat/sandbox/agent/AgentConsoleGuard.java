package io.commercechat.sandbox.agent;

import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.sandbox.rest.Problem;
import io.commercechat.sandbox.rest.ProblemMappers;
import io.commercechat.sandbox.security.LocalOnly;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The one gate of the agent console: every request under /agent, the static page, script and styles included. The
 * console acts with the bank's partner token (every person's conversation with the bank) and has no login, so it is
 * off unless {@code sandbox.agent.enabled} (404), answers only to connections from this machine's loopback (403: the
 * Host header is the client's to choose, so a client that reaches the sandbox through the network, e.g. through the
 * cluster's edge, could name 127.0.0.1) and only to a loopback Host name (403; a page of another origin whose name
 * resolves to 127.0.0.1 cannot drive it), and its answers cannot be cached, framed or sniffed. A route of
 * the Vert.x router, as the static files never reach JAX-RS; it also keeps {@link AgentInbox} from subscribing, since
 * only /agent requests start it.
 */
@ApplicationScoped
public class AgentConsoleGuard {

    static final String PATH = "/agent";
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private final boolean enabled;
    private final Set<String> allowedHosts;
    private final Problem disabled = Problem.of(404, "agent-console-disabled", "Not Found",
            "the agent console is disabled (sandbox.agent.enabled=false)");
    private final Problem foreignHost;
    private final Problem notLoopback = Problem.of(403, "agent-console-remote", "Forbidden",
            "the agent console answers only to connections from this machine's loopback: open it at"
                    + " http://127.0.0.1:<port>/agent on the machine that runs the sandbox, or through kubectl port-forward");

    public AgentConsoleGuard(SandboxConfig config) {
        this.enabled = config.agent().enabled();
        this.allowedHosts = config.agent().allowedHosts().stream().map(AgentConsoleGuard::bare)
                .collect(Collectors.toSet());
        this.foreignHost = Problem.of(403, "agent-console-host", "Forbidden",
                "the agent console answers only on " + String.join(", ", config.agent().allowedHosts())
                        + ": open it at http://127.0.0.1:<port>/agent on this machine, or through kubectl port-forward");
    }

    void register(@Observes Router router) {
        // first of all routes: before the static files and the REST resources
        router.route().order(Integer.MIN_VALUE).handler(this::guard);
    }

    void guard(RoutingContext ctx) {
        if (!LocalOnly.isUnder(PATH, ctx.normalizedPath())) {
            ctx.next();
            return;
        }
        // when the headers are written, so that the static handler's caching headers do not replace them
        ctx.addHeadersEndHandler(v -> securityHeaders(ctx.response()));
        if (!enabled) {
            ProblemMappers.end(ctx, disabled);
        } else if (!LocalOnly.isLoopback(ctx.request().connection().remoteAddress())) {
            ProblemMappers.end(ctx, notLoopback);
        } else if (!allowedHost(hostOf(ctx.request()))) {
            ProblemMappers.end(ctx, foreignHost);
        } else {
            ctx.next();
        }
    }

    private boolean allowedHost(String host) {
        return host != null && allowedHosts.contains(host);
    }

    private static void securityHeaders(HttpServerResponse response) {
        response.putHeader("Cache-Control", "no-store")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    }

    /** The host name the browser addressed; null when there is none or it is malformed. */
    private static String hostOf(HttpServerRequest request) {
        String header = request.getHeader("Host");
        if (header != null) {
            return hostOf(header);
        }
        HostAndPort authority = request.authority(); // HTTP/2 sends :authority instead
        return authority == null ? null : bare(authority.host());
    }

    /** The host part of a Host header ({@code 127.0.0.1:8083} → {@code 127.0.0.1}, {@code [::1]:8083} → {@code ::1}). */
    static String hostOf(String hostHeader) {
        String value = hostHeader.strip().toLowerCase(Locale.ROOT);
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || (close + 1 < value.length() && value.charAt(close + 1) != ':')) {
                return null;
            }
            host = value.substring(1, close);
            port = close + 1 < value.length() ? value.substring(close + 2) : "";
        } else {
            int colon = value.indexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? "" : value.substring(colon + 1);
        }
        if (host.isEmpty() || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return host;
    }

    /** A configured or parsed host name without IPv6 brackets, in lower case. */
    private static String bare(String host) {
        String h = host == null ? "" : host.strip().toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }
}
