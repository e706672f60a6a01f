package io.commercechat.chat.security;

import io.commercechat.chat.error.ChatFailure;
import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Who is calling, from the verified JWT: a person (group {@code user}) or a business (group {@code partner}). */
public record Caller(String subject, String businessId, String displayName) {

    private static final int MAX_SUB = 255;

    /** The person behind a REST call (the resource is already limited to the {@code user} group). */
    public static Caller person(SecurityIdentity identity) {
        JsonWebToken jwt = (JsonWebToken) identity.getPrincipal();
        if (jwt.getSubject() == null || jwt.getSubject().length() > MAX_SUB) {
            throw new ChatFailure(ChatFailure.Kind.FORBIDDEN, "forbidden", "the token's subject is longer than " + MAX_SUB
                    + " characters; chat-service cannot serve it");
        }
        Object name = jwt.getClaim("given_name");
        return new Caller(jwt.getSubject(), null, name == null ? "" : name.toString());
    }

    /**
     * The person's own bearer token, forwarded on calls made for them (account-link-service and
     * consent-service then authorize by its {@code sub} too). Never logged.
     */
    public static String forwardedToken(SecurityIdentity identity) {
        return ((JsonWebToken) identity.getPrincipal()).getRawToken();
    }

    /** The business behind a partner gRPC call; anyone else is refused. */
    public static Caller business(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw Status.UNAUTHENTICATED.withDescription("a valid bearer token is required").asRuntimeException();
        }
        Object business = jwt.getClaim("business_id");
        if (!identity.hasRole("partner") || business == null || business.toString().isBlank()) {
            throw Status.PERMISSION_DENIED
                    .withDescription("BusinessMessaging is for partner businesses (a partner token with business_id)")
                    .asRuntimeException();
        }
        return new Caller(jwt.getSubject(), business.toString(), "");
    }

    public String personInbox() {
        return inboxOfPerson(subject);
    }

    public static String inboxOfPerson(String sub) {
        return "p:" + sub;
    }

    public static String inboxOfBusiness(String businessId) {
        return "b:" + businessId;
    }
}
