package io.commercechat.sandbox.security;

import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.json.JsonString;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The bank serves its registered clients only, as a real bank serves only the third-party providers it registered:
 * every BankConnector RPC needs a token verified for the bank's own audience ({@code mp.jwt.verify.audiences},
 * {@code sandbox-bank}: the mesh's tokens, which a bank must never be handed, are refused as unauthenticated) whose
 * {@code azp} is one of {@code sandbox.clients}. The bank does not read the mesh's {@code groups}.
 */
public final class RegisteredClient {

    private RegisteredClient() {}

    /** The calling client (the token's {@code azp}), if it is one of {@code clients}. */
    public static String require(SecurityIdentity identity, Set<String> clients) {
        if (identity == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw Status.UNAUTHENTICATED.withDescription("a valid bearer token is required").asRuntimeException();
        }
        Object azp = jwt.getClaim("azp");
        String client = azp instanceof JsonString str ? str.getString() : azp == null ? null : azp.toString();
        if (client == null || !clients.contains(client)) {
            throw Status.PERMISSION_DENIED.withDescription((client == null ? "a token without azp" : client)
                    + " is not a client registered with this bank (sandbox.clients)").asRuntimeException();
        }
        return client;
    }
}
