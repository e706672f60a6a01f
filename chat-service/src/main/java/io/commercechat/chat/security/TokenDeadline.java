package io.commercechat.chat.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
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
     * The stream's items until the caller's token is no longer accepted; then {@code whenExpired}'s items (a last
     * line, or a failure), and it ends, cancelling what feeds the stream (the inbox feed and its wait, the
     * heartbeats). A stream that ends by itself first ends here too, without {@code whenExpired}. Mutiny's
     * {@code select().first(Duration)} completes without cancelling its upstream, which would leave the feed reading
     * for a stream nobody receives.
     */
    @SuppressWarnings("unchecked")
    public <T> Multi<T> until(SecurityIdentity identity, Multi<T> stream, Supplier<Multi<T>> whenExpired) {
        return Multi.createFrom().deferred(() -> {
            Duration left = left(identity);
            Object expired = new Object();
            Object ended = new Object();
            AtomicBoolean didExpire = new AtomicBoolean();
            Multi<Object> items = Multi.createBy().concatenating().streams(stream.map(item -> (Object) item),
                    Multi.createFrom().item(ended));
            Multi<Object> deadline = Multi.createFrom().ticks()
                    .startingAfter(left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left)
                    .every(Duration.ofDays(1)).map(tick -> expired);
            Multi<T> cut = Multi.createBy().merging().streams(items, deadline)
                    .select().first(item -> {
                        if (item == expired) {
                            didExpire.set(true);
                        }
                        return item != expired && item != ended;
                    })
                    .map(item -> (T) item);
            return Multi.createBy().concatenating().streams(cut,
                    Multi.createFrom().deferred(() -> didExpire.get() ? whenExpired.get() : Multi.createFrom().empty()));
        });
    }

    private Duration left(SecurityIdentity identity) {
        long expires = ((JsonWebToken) identity.getPrincipal()).getExpirationTime();
        return Duration.between(Instant.now(), Instant.ofEpochSecond(expires).plus(clockSkew));
    }
}
