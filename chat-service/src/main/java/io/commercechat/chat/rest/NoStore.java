package io.commercechat.chat.rest;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The API's answers carry a person's messages, balances and transactions: no browser or proxy may keep them (a shared
 * computer's disk cache after sign-out). {@code Cache-Control: no-store} on every answer under {@code /v1/}, refusals
 * included, unless the answer says itself how it may be kept (the public {@code /v1/receipt-keys}). Set when the
 * headers are written, since a resource adds its own header rather than replacing one set before it. The web client's
 * page too: a page kept by the browser (its back-forward cache) would show a signed-out person's chats and balances
 * again on Back.
 */
@ApplicationScoped
public class NoStore {

    void register(@Observes Router router) {
        cacheControl(router.route("/v1/*"), "no-store", false);
        // the static handler marks every file immutable for a day; the page must not be kept at all
        cacheControl(router.route("/"), "no-store", true);
        cacheControl(router.route("/index.html"), "no-store", true);
        // and its scripts and styles are checked again on every load (a 304 when unchanged), not kept for a day as
        // immutable: after an upgrade the new page would otherwise run with the old scripts
        cacheControl(router.routeWithRegex(".*\\.(js|css|svg)$"), "no-cache", true);
    }

    /** {@code value} as the answers' Cache-Control, replacing one already set when {@code always}. */
    private static void cacheControl(Route route, String value, boolean always) {
        route.order(Integer.MIN_VALUE).handler(ctx -> {
            ctx.addHeadersEndHandler(v -> {
                if (always || !ctx.response().headers().contains(HttpHeaders.CACHE_CONTROL)) {
                    ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, value);
                }
            });
            ctx.next();
        });
    }
}
