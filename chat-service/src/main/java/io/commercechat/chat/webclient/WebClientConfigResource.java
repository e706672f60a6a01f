package io.commercechat.chat.webclient;

import io.commercechat.chat.config.ChatConfig;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * What the web client needs to sign people in: the OIDC issuer the browser talks to, the
 * public client id and how long an untouched page stays signed in. Served from configuration (not a static file) so that each deployment's web
 * client follows its own issuer. Public: it holds no secret.
 */
@Path("/config.json")
@PermitAll
public class WebClientConfigResource {

    /** idleMinutes: how long the page may go untouched before it signs the person out (chat.web-client.idle-timeout). */
    public record WebClientConfig(String issuer, String clientId, long idleMinutes) {}

    private final ChatConfig config;

    public WebClientConfigResource(ChatConfig config) {
        this.config = config;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response get() {
        CacheControl noStore = new CacheControl();
        noStore.setNoStore(true);
        return Response.ok(new WebClientConfig(config.webClient().issuer(), config.webClient().clientId(),
                        Math.max(1, config.webClient().idleTimeout().toMinutes())))
                .cacheControl(noStore).build();
    }
}
