package io.commercechat.chat.webclient;

import io.commercechat.chat.config.ChatConfig;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The Content-Security-Policy of every answer. The web client loads only its own files and talks only to this
 * service and the OIDC provider it signs in with, so that is all a page of this origin may load or call: an
 * injected script, style or connection to anywhere else is refused by the browser. Never framed (clickjacking of
 * "End access", "Unlink", "Share with bank"), no plugins, no base-URL tricks, forms only to this origin.
 *
 * <p>Built from configuration (the issuer's origin, {@code chat.web-client.connect-origins}) once at start, so it
 * is set in code rather than as a fixed {@code quarkus.http.header}. Quarkus' own pages under {@code /q/} (Swagger UI
 * in development) use inline scripts and get the framing rules alone.
 */
@ApplicationScoped
public class ContentSecurityPolicy {

    static final String HEADER = "Content-Security-Policy";
    /** What every answer carries, Quarkus' own pages included. */
    static final String FRAMING = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    private final String policy;

    public ContentSecurityPolicy(ChatConfig config) {
        Set<String> connect = new LinkedHashSet<>();
        connect.add("'self'");
        connect.add(origin(config.webClient().issuer()));
        config.webClient().connectOrigins().ifPresent(origins -> origins.forEach(o -> connect.add(origin(o))));
        this.policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + "connect-src " + String.join(" ", connect) + "; form-action 'self'; " + FRAMING;
    }

    void register(@Observes Router router) {
        // first of all routes (EdgeFailures' early answers included), before anything can end the response
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            ctx.response().putHeader(HEADER, ctx.normalizedPath().startsWith("/q/") ? FRAMING : policy);
            ctx.next();
        });
    }

    /** scheme://host[:port] of a configured URL; a value that is not an absolute http(s) URL stops the start. */
    static String origin(String url) {
        URI u = URI.create(url.trim());
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || u.getHost() == null) {
            throw new IllegalArgumentException("not an http(s) URL for the web client's Content-Security-Policy: " + url);
        }
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (u.getPort() == -1 ? "" : ":" + u.getPort());
    }
}
