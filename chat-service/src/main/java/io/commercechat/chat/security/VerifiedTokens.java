package io.commercechat.chat.security;

import io.commercechat.chat.config.ChatConfig;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.smallrye.jwt.runtime.auth.JsonWebTokenCredential;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Bearer tokens of the REST and gRPC edge, verified by SmallRye JWT (the one {@link JWTParser}
 * that mp.jwt.* configures) and remembered once verified: a person sends many requests with one
 * token, and each verification costs a signature check plus a hop to a worker thread (SmallRye JWT
 * may fetch the issuer's keys, which blocks). A remembered token is served on the event loop.
 *
 * <p>Only a token that passed verification is remembered, by its exact text, until it expires or
 * for at most {@code chat.verified-tokens.max-age}, whichever comes first; a bad token is verified
 * (and refused) every time. The memory is bounded ({@code chat.verified-tokens.capacity}); when it
 * is full, expired tokens are dropped, and if that is not enough it starts over. Each replica
 * keeps its own: nothing depends on it but the cost of a request.
 */
@ApplicationScoped
public class VerifiedTokens implements IdentityProvider<TokenAuthenticationRequest> {

    /** Ahead of SmallRye JWT's own provider (the default priority, 1001), which then never sees a bearer token. */
    private static final int PRIORITY = 2000;

    private record Verified(JsonWebToken jwt, long until) {}

    private final JWTParser parser;
    private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();
    private final long maxAgeMillis;
    private final int capacity;
    private final Clock clock;

    @Inject
    public VerifiedTokens(JWTParser parser, ChatConfig config) {
        this(parser, config.verifiedTokens().maxAge().toMillis(), config.verifiedTokens().capacity(), Clock.systemUTC());
    }

    /** Tests bring their own clock. */
    VerifiedTokens(JWTParser parser, long maxAgeMillis, int capacity, Clock clock) {
        this.parser = parser;
        this.maxAgeMillis = maxAgeMillis;
        this.capacity = capacity;
        this.clock = clock;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        if (!(request.getToken() instanceof JsonWebTokenCredential)) {
            return Uni.createFrom().nullItem(); // not a bearer JWT: someone else's to verify
        }
        String token = request.getToken().getToken();
        JsonWebToken known = remembered(token);
        if (known != null) {
            return Uni.createFrom().item(identity(known, request));
        }
        return context.runBlocking(() -> identity(verify(token), request));
    }

    /** Whether {@code token} is served from memory now (for tests). */
    boolean remembers(String token) {
        return remembered(token) != null;
    }

    /** The verified token, if it is remembered and still within its time; else null. */
    private JsonWebToken remembered(String token) {
        Verified known = verified.get(token);
        return known != null && clock.millis() < known.until() ? known.jwt() : null;
    }

    /** SmallRye JWT's verification (signature, issuer, audience, times, required claims); remembers a pass. */
    private JsonWebToken verify(String token) {
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException e) {
            throw new AuthenticationFailedException(e);
        }
        long now = clock.millis();
        long until = Math.min(now + maxAgeMillis, jwt.getExpirationTime() * 1000);
        if (until > now) {
            if (verified.size() >= capacity) {
                verified.values().removeIf(v -> v.until() <= now);
                if (verified.size() >= capacity) {
                    verified.clear();
                }
            }
            verified.put(token, new Verified(jwt, until));
        }
        return jwt;
    }

    /** The same identity SmallRye JWT's provider builds: the token as principal and credential, its groups as roles. */
    private static SecurityIdentity identity(JsonWebToken jwt, TokenAuthenticationRequest request) {
        QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                .setPrincipal(jwt)
                .addCredential(request.getToken())
                .addRoles(jwt.getGroups())
                .addAttribute("quarkus.user", jwt);
        RoutingContext routing = HttpSecurityUtils.getRoutingContextAttribute(request);
        if (routing != null) {
            identity.addAttribute(RoutingContext.class.getName(), routing);
        }
        return identity.build();
    }
}
