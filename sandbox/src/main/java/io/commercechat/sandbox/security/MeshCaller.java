package io.commercechat.sandbox.security;

import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The bank serves the mesh only: every BankConnector RPC needs a verified token of group
 * {@code service}. Persons and partners are refused.
 */
public final class MeshCaller {

    private MeshCaller() {}

    /** The calling service's name (the token's {@code azp}, else its subject). */
    public static String requireService(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw Status.UNAUTHENTICATED.withDescription("a valid bearer token is required").asRuntimeException();
        }
        if (!identity.hasRole("service")) {
            throw Status.PERMISSION_DENIED.withDescription("the sandbox bank serves mesh services only").asRuntimeException();
        }
        Object azp = jwt.getClaim("azp");
        return azp != null ? azp.toString() : jwt.getSubject();
    }
}
