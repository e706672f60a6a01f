package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.grpc.Status;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This service's own access tokens (client credentials, client id {@code account-link-service}), one per audience,
 * each cached until shortly before it expires, fetched without blocking.
 *
 * <p>Two kinds, asked for with different scopes ({@code scope} of the client-credentials grant): the mesh token
 * ({@code accounts.mesh-token-scope}: CheckAccess, so that the access log names this service, the consent event
 * stream, bank-initiated revocations) and one token per partner bank ({@code accounts.banks.<id>.token-scope}),
 * which carries that bank's audience and not the mesh's. A partner bank is a third party: a token it receives must
 * be of no use at consent-service or chat-service, nor at another bank.
 */
@ApplicationScoped
public class ServiceTokens {

    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    /** The key of a token asked for without a scope. */
    private static final String NO_SCOPE = "";

    private final OidcClient client;
    private final String meshScope;
    private final Map<String, Tokens> current = new ConcurrentHashMap<>();

    public ServiceTokens(OidcClient client, AccountsConfig config) {
        this.client = client;
        this.meshScope = config.meshTokenScope().orElse(NO_SCOPE);
    }

    /** The token for the mesh's services. */
    public Uni<String> accessToken() {
        return tokenFor(meshScope);
    }

    /** The token for one partner bank, asked for with its scope. */
    public Uni<String> bankToken(String scope) {
        return tokenFor(scope);
    }

    private Uni<String> tokenFor(String scope) {
        return Uni.createFrom().deferred(() -> {
            Tokens t = current.get(scope);
            if (t != null && !t.isAccessTokenExpired() && !t.isAccessTokenWithinRefreshInterval()) {
                return Uni.createFrom().item(t.getAccessToken());
            }
            // Concurrent refreshes are harmless (each gets a valid token); the last one is kept.
            return client.getTokens(scope.isEmpty() ? Map.of() : Map.of("scope", scope))
                    .ifNoItem().after(FETCH_TIMEOUT).fail()
                    .invoke(fresh -> current.put(scope, fresh))
                    .map(Tokens::getAccessToken)
                    .onFailure().transform(e -> Status.UNAVAILABLE
                            .withDescription("the identity provider did not issue a service token").asRuntimeException());
        });
    }
}
