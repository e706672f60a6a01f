package io.commercechat.consent.security;

import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.json.JsonString;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who is calling, from the verified JWT: a service of the mesh, or a service forwarding a
 * person's token (then everything is limited to that person's own data). A service acts for any
 * person, so it is resolved only through ServiceCallers, which admits it to the RPCs granted to it.
 */
public record Caller(Kind kind, String subject, String service) {

    public enum Kind { SERVICE, PERSON }

    /**
     * Resolves the caller; {@code service} is the client named in {@code clientClaim}, which a service token must
     * carry (its grants are by that name: ServiceCallers). Partners and tokens without a known group are refused.
     */
    static Caller of(SecurityIdentity identity, String clientClaim) {
        if (identity == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw Status.UNAUTHENTICATED.withDescription("a valid bearer token is required").asRuntimeException();
        }
        Object claim = jwt.getClaim(clientClaim);
        String client = claim instanceof JsonString s ? s.getString() : claim == null ? null : claim.toString();
        if (identity.hasRole("service")) {
            if (client == null || client.isBlank()) {
                throw Status.PERMISSION_DENIED.withDescription("a service token must name its client in the " + clientClaim
                        + " claim").asRuntimeException();
            }
            return new Caller(Kind.SERVICE, jwt.getSubject(), client);
        }
        if (identity.hasRole("user")) {
            return new Caller(Kind.PERSON, jwt.getSubject(), client != null ? client : "unknown-client");
        }
        throw Status.PERMISSION_DENIED.withDescription("consent-service serves mesh services only").asRuntimeException();
    }

    public boolean isService() {
        return kind == Kind.SERVICE;
    }

    /**
     * The person a request acts for: a person token acts for itself (a different user_id in the
     * request is refused); a service must name the person.
     */
    public String actingFor(String requestedUserId) {
        boolean given = requestedUserId != null && !requestedUserId.isEmpty();
        if (isService()) {
            if (!given) {
                throw Status.INVALID_ARGUMENT.withDescription("user_id is required").asRuntimeException();
            }
            return requestedUserId;
        }
        if (given && !requestedUserId.equals(subject)) {
            throw Status.PERMISSION_DENIED.withDescription("a person may only act on their own consents").asRuntimeException();
        }
        return subject;
    }

    /** Whether this caller may see data of the given person. */
    public boolean maySee(String userId) {
        return isService() || subject.equals(userId);
    }

    public void requireService(String what) {
        if (!isService()) {
            throw Status.PERMISSION_DENIED.withDescription(what + " is for mesh services only").asRuntimeException();
        }
    }
}
