package io.commercechat.chat.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Event streams (SSE, Subscribe) are served only as long as the token they were opened with is accepted: until its
 * expiry plus the verifiers' clock skew ({@code mp.jwt.verify.clock.skew}), as a request with it would be. A leaked
 * token then does not keep a stream open for ever; the client opens the next one with a new token.
 */
@ApplicationScoped
public class TokenDeadline {

    private final Duration clockSkew;

    public TokenDeadline(@ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "0") int clockSkewSeconds) {
        this.clockSkew = Duration.ofSeconds(clockSkewSeconds);
    }

    /**
     * The stream's items until the caller's token is no longer accepted; then it completes and cancels what feeds it
     * (the inbox feed and its wait, the heartbeats). Mutiny's {@code select().first(Duration)} completes without
     * cancelling its upstream, which would leave the feed reading for a stream nobody receives.
     */
    @SuppressWarnings("unchecked")
    public <T> Multi<T> until(SecurityIdentity identity, Multi<T> stream) {
        Duration left = left(identity);
        Object end = new Object();
        Multi<Object> deadline = Multi.createFrom().ticks().startingAfter(left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left)
                .every(Duration.ofDays(1)).map(tick -> end);
        return Multi.createBy().merging().streams(stream.map(item -> (Object) item), deadline)
                .select().first(item -> item != end).map(item -> (T) item);
    }

    private Duration left(SecurityIdentity identity) {
        long expires = ((JsonWebToken) identity.getPrincipal()).getExpirationTime();
        return Duration.between(Instant.now(), Instant.ofEpochSecond(expires).plus(clockSkew));
    }
}
