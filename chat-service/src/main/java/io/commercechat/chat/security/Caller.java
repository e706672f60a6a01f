package io.commercechat.chat.security;

import io.commercechat.chat.error.ChatFailure;
import io.grpc.Status;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.json.JsonString;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Who is calling, from the verified JWT: a person (group {@code user}) or a business (group {@code partner}). */
public record Caller(String subject, String businessId, String displayName) {

    private static final int MAX_SUB = 255;
    /** conversations.person_display_name is varchar(100): PostgreSQL counts characters, as code points. */
    private static final int MAX_NAME = 100;

    /** The person behind a REST call (the resource is already limited to the {@code user} group). */
    public static Caller person(SecurityIdentity identity) {
        JsonWebToken jwt = (JsonWebToken) identity.getPrincipal();
        if (jwt.getSubject() == null || jwt.getSubject().length() > MAX_SUB) {
            throw new ChatFailure(ChatFailure.Kind.FORBIDDEN, "forbidden", "the token's subject is longer than " + MAX_SUB
                    + " characters; chat-service cannot serve it");
        }
        return new Caller(jwt.getSubject(), null, displayName(jwt.getClaim("given_name")));
    }

    /**
     * The {@code given_name} claim as a business is shown it: a string claim only, without control characters (a NUL
     * cannot even be stored), trimmed, at most {@link #MAX_NAME} characters, never split inside a character.
     */
    static String displayName(Object claim) {
        String raw = claim instanceof String s ? s : claim instanceof JsonString js ? js.getString() : "";
        StringBuilder name = new StringBuilder();
        raw.strip().codePoints().filter(cp -> !Character.isISOControl(cp)).limit(MAX_NAME).forEach(name::appendCodePoint);
        return name.toString().strip();
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
