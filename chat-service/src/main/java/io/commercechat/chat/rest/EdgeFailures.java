package io.commercechat.chat.rest;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Failures that happen before JAX-RS runs (proactive authentication, the body size limit) get a
 * problem document too; everything else is answered by {@link ProblemMappers}.
 */
@ApplicationScoped
public class EdgeFailures {

    void register(@Observes Router router) {
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

    private static void end(RoutingContext ctx, int status, String title, String slug, String detail) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end("{\"type\":\"" + Problem.TYPE_BASE + slug + "\",\"title\":\"" + title + "\",\"status\":" + status
                        + ",\"detail\":\"" + detail + "\"}");
    }
}
