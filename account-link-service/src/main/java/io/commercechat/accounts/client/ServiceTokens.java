package io.commercechat.accounts.client;

import io.grpc.Status;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * This service's own access token (client credentials, client id {@code account-link-service}),
 * cached until shortly before it expires, fetched without blocking. Used for CheckAccess (so the
 * access log names this service), banks, the consent event stream and bank-initiated revocations.
 */
@ApplicationScoped
public class ServiceTokens {

    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

    private final OidcClient client;
    private volatile Tokens current;

    public ServiceTokens(OidcClient client) {
        this.client = client;
    }

    public Uni<String> accessToken() {
        return Uni.createFrom().deferred(() -> {
            Tokens t = current;
            if (t != null && !t.isAccessTokenExpired() && !t.isAccessTokenWithinRefreshInterval()) {
                return Uni.createFrom().item(t.getAccessToken());
            }
            // Concurrent refreshes are harmless (each gets a valid token); the last one is kept.
            return client.getTokens()
                    .ifNoItem().after(FETCH_TIMEOUT).fail()
                    .invoke(fresh -> current = fresh)
                    .map(Tokens::getAccessToken)
                    .onFailure().transform(e -> Status.UNAVAILABLE
                            .withDescription("the identity provider did not issue a service token").asRuntimeException());
        });
    }
}
