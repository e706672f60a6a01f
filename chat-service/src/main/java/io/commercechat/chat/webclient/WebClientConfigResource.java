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
 * What the web client needs to sign people in: the OIDC issuer the browser talks to and the
 * public client id. Served from configuration (not a static file) so that each deployment's web
 * client follows its own issuer. Public: it holds no secret.
 */
@Path("/config.json")
@PermitAll
public class WebClientConfigResource {

    public record WebClientConfig(String issuer, String clientId) {}

    private final ChatConfig config;

    public WebClientConfigResource(ChatConfig config) {
        this.config = config;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response get() {
        CacheControl noStore = new CacheControl();
        noStore.setNoStore(true);
        return Response.ok(new WebClientConfig(config.webClient().issuer(), config.webClient().clientId()))
                .cacheControl(noStore).build();
    }
}
