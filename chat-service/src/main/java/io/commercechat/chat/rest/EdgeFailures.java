package io.commercechat.chat.rest;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Failures that happen before JAX-RS runs (proactive authentication, the body size limit) get a
 * problem document too; everything else is answered by {@link ProblemMappers}.
 */
@ApplicationScoped
public class EdgeFailures {

    private final long maxBodySize;

    public EdgeFailures(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        this.maxBodySize = maxBodySize.asLongValue();
    }

    void register(@Observes Router router) {
        // Quarkus refuses a declared Content-Length over the limit with an empty 413 before any
        // route of ours; this runs first (after the security headers) and says so in a problem document
        // (gRPC has its own limits).
        router.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            String type = ctx.request().getHeader("Content-Type");
            if (length != null && (type == null || !type.startsWith("application/grpc")) && tooLarge(length)) {
                ctx.response().putHeader("Connection", "close");
                end(ctx, 413, "Content Too Large", "body-too-large",
                        "the request body is larger than this API accepts (" + maxBodySize / 1024 + " KiB)");
            } else {
                ctx.next();
            }
        });
        router.route("/v1/*").order(Integer.MIN_VALUE).failureHandler(ctx -> {
            Throwable f = ctx.failure();
            if (ctx.response().ended()) {
                ctx.next();
            } else if (f instanceof AuthenticationFailedException || f instanceof UnauthorizedException) {
                ctx.response().putHeader("WWW-Authenticate", "Bearer");
                end(ctx, 401, "Unauthorized", "unauthenticated", "a valid bearer token is required (it may have expired)");
            } else if (ctx.statusCode() == 413) {
                end(ctx, 413, "Content Too Large", "body-too-large", "the request body is larger than this API accepts");
            } else {
                ctx.next();
            }
        });
    }

    private boolean tooLarge(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > maxBodySize;
        } catch (NumberFormatException malformed) {
            return false; // the HTTP layer refuses it
        }
    }

    private static void end(RoutingContext ctx, int status, String title, String slug, String detail) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end("{\"type\":\"" + Problem.TYPE_BASE + slug + "\",\"title\":\"" + title + "\",\"status\":" + status
                        + ",\"detail\":\"" + detail + "\"}");
    }
}
