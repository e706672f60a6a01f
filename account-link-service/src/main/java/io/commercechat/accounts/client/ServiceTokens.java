package io.commercechat.accounts.client;

import io.grpc.Status;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * This service's own access token (client credentials, client id {@code account-link-service}),
 * cached until shortly before it expires. Used for calls that no person initiated: banks, the
 * consent event stream, bank-initiated revocations.
 */
@ApplicationScoped
public class ServiceTokens {

    private final OidcClient client;
    private volatile Tokens current;

    public ServiceTokens(OidcClient client) {
        this.client = client;
    }

    public String accessToken() {
        Tokens t = current;
        if (t == null || t.isAccessTokenExpired() || t.isAccessTokenWithinRefreshInterval()) {
            synchronized (this) {
                t = current;
                if (t == null || t.isAccessTokenExpired() || t.isAccessTokenWithinRefreshInterval()) {
                    try {
                        t = client.getTokens().await().atMost(Duration.ofSeconds(5));
                    } catch (RuntimeException e) {
                        throw Status.UNAVAILABLE.withDescription("the identity provider did not issue a service token")
                                .asRuntimeException();
                    }
                    current = t;
                }
            }
        }
        return t.getAccessToken();
    }
}
