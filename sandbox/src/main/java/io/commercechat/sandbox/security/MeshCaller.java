package io.commercechat.sandbox.security;

import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.json.JsonString;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The bank serves its registered clients only: every BankConnector RPC needs a verified token of group
 * {@code service} whose {@code azp} is one of {@code sandbox.clients}. Persons, partners and other services are
 * refused.
 */
public final class MeshCaller {

    private MeshCaller() {}

    /** The calling client (the token's {@code azp}), if it is one of {@code clients}. */
    public static String requireClient(SecurityIdentity identity, Set<String> clients) {
        if (identity == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw Status.UNAUTHENTICATED.withDescription("a valid bearer token is required").asRuntimeException();
        }
        if (!identity.hasRole("service")) {
            throw Status.PERMISSION_DENIED.withDescription("the sandbox bank serves mesh services only").asRuntimeException();
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
