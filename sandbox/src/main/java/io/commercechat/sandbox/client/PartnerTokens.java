package io.commercechat.sandbox.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Partner tokens of the sandbox's two businesses (OIDC client credentials: clients
 * {@code sandbox-bank} and {@code demo-shop}), reused until they are about to expire.
 */
@ApplicationScoped
public class PartnerTokens {

    public static final String BANK = "sandbox-bank";
    public static final String SHOP = "demo-shop";

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final OidcClients clients;
    private final Map<String, Tokens> cache = new ConcurrentHashMap<>();

    public PartnerTokens(OidcClients clients) {
        this.clients = clients;
    }

    /** gRPC call credentials carrying a fresh partner token of {@code business}. */
    public Uni<CallCredentials> credentialsFor(String business) {
        return accessToken(business).map(PartnerTokens::bearer);
    }

    Uni<String> accessToken(String business) {
        Tokens cached = cache.get(business);
        if (cached != null && !cached.isAccessTokenWithinRefreshInterval() && !cached.isAccessTokenExpired()) {
            return Uni.createFrom().item(cached.getAccessToken());
        }
        return clients.getClient(business).getTokens().invoke(t -> cache.put(business, t)).map(Tokens::getAccessToken);
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
