package io.commercechat.accounts.security;

import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who is calling, from the verified JWT. A person's token is forwarded by chat-service, so
 * person-level RPCs act for its {@code sub}; services and partners are told apart by group.
 * The raw token is kept only to forward it to consent-service for person-initiated calls.
 */
public record Caller(Kind kind, String subject, String businessId, String rawToken) {

    public enum Kind { PERSON, SERVICE, PARTNER }

    public static Caller of(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw Status.UNAUTHENTICATED.withDescription("a valid bearer token is required").asRuntimeException();
        }
        if (identity.hasRole("user")) {
            return new Caller(Kind.PERSON, jwt.getSubject(), null, jwt.getRawToken());
        }
        if (identity.hasRole("service")) {
            return new Caller(Kind.SERVICE, jwt.getSubject(), null, jwt.getRawToken());
        }
        if (identity.hasRole("partner")) {
            Object business = jwt.getClaim("business_id");
            if (business == null || business.toString().isBlank()) {
                throw Status.PERMISSION_DENIED.withDescription("a partner token must carry business_id").asRuntimeException();
            }
            return new Caller(Kind.PARTNER, jwt.getSubject(), business.toString(), jwt.getRawToken());
        }
        throw Status.PERMISSION_DENIED.withDescription("the token has no known group").asRuntimeException();
    }

    /** Person-level RPCs: chat-service forwards the person's token (a service token has no person). */
    public Caller requirePerson(String rpc) {
        if (kind != Kind.PERSON) {
            throw Status.PERMISSION_DENIED.withDescription(rpc + " acts for a person: forward the person's token")
                    .asRuntimeException();
        }
        return this;
    }

    /** Mesh-internal RPCs (person or service), never partners. */
    public Caller requireMesh(String rpc) {
        if (kind == Kind.PARTNER) {
            throw Status.PERMISSION_DENIED.withDescription(rpc + " is not available to partners").asRuntimeException();
        }
        return this;
    }

    public Caller requirePartner(String rpc) {
        if (kind != Kind.PARTNER) {
            throw Status.PERMISSION_DENIED.withDescription(rpc + " is for partner banks only").asRuntimeException();
        }
        return this;
    }
}
