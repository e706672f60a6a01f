package io.commercechat.chat.client;

import io.commercechat.chat.error.ChatFailure;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * chat-service's own access token (client credentials, client id {@code chat-service}), reused
 * until shortly before it expires. For calls no person made: the consent event stream and the
 * public receipt keys.
 */
@ApplicationScoped
public class ServiceTokens {

    private final OidcClient client;
    private volatile Tokens current;

    public ServiceTokens(OidcClient client) {
        this.client = client;
    }

    public Uni<String> accessToken() {
        Tokens t = current;
        if (t != null && !t.isAccessTokenExpired() && !t.isAccessTokenWithinRefreshInterval()) {
            return Uni.createFrom().item(t.getAccessToken());
        }
        return client.getTokens().ifNoItem().after(Duration.ofSeconds(5)).fail()
                .invoke(fresh -> current = fresh)
                .map(Tokens::getAccessToken)
                .onFailure().transform(f -> ChatFailure.unavailable("temporarily-unavailable",
                        "the identity provider did not issue chat-service a token; try again in a minute"));
    }
}
