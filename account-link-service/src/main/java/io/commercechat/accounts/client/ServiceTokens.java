package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * This service's own access tokens (client credentials, client id {@code account-link-service}), one per audience,
 * fetched without blocking and kept until they expire. A token is renewed in its refresh window (shortly before it
 * expires) by one request to the identity provider per scope at a time, whoever asks meanwhile: a token still valid is
 * served while the new one comes, so neither a slow nor a failing provider fails a call before the token has expired.
 * After a request failed, the provider is not asked again for that scope for a while (1 s, doubling up to 15 s, back
 * to nothing after a success): a token still valid is served meanwhile, a caller that has none fails at once.
 *
 * <p>Two kinds, asked for with different scopes ({@code scope} of the client-credentials grant): the mesh token
 * ({@code accounts.mesh-token-scope}: CheckAccess, so that the access log names this service, the consent event
 * stream, bank-initiated revocations) and one token per partner bank ({@code accounts.banks.<id>.token-scope}),
 * which carries that bank's audience and not the mesh's. A partner bank is a third party: a token it receives must
 * be of no use at consent-service or chat-service, nor at another bank. A provider that does not honour the scope
 * (it gives every token of this client the mesh's audience, say) would hand the mesh's credential to every bank, so
 * a bank token that carries one of the audiences this mesh accepts, or {@code groups}, is never sent.
 */
@ApplicationScoped
public class ServiceTokens {

    private static final Logger LOG = Logger.getLogger(ServiceTokens.class);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    /** At most one log line a minute per scope for the same kind of failure (a bank call each would be too many). */
    private static final long LOG_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    /** The key of a token asked for without a scope. */
    private static final String NO_SCOPE = "";
    /**
     * The wait after a failed request before the next one, doubled by each further failure up to MAX_BACKOFF. Without
     * it a provider that is down was asked again as soon as it had refused (every call in the refresh window or without
     * a token starts a request): an outage became a tight loop of token requests. The cap bounds how long callers
     * without a token still fail once the provider is back.
     */
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(15);

    private final OidcClient client;
    private final String meshScope;
    private final Set<String> meshAudiences;
    private final Map<String, Tokens> current = new ConcurrentHashMap<>();
    /** The request to the provider under way, per scope: every caller that needs a new token meanwhile joins it. */
    private final Map<String, CompletableFuture<Tokens>> refreshing = new ConcurrentHashMap<>();
    /** Per scope, after a failed request: no new one before {@code untilNanos}. Cleared by a success. */
    private final Map<String, Backoff> backoffs = new ConcurrentHashMap<>();
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    private record Backoff(long untilNanos, long delayNanos) {}

    @Inject
    public ServiceTokens(OidcClient client, AccountsConfig config,
            @ConfigProperty(name = "mp.jwt.verify.audiences") Set<String> meshAudiences) {
        this(client, config, meshAudiences, System::nanoTime);
    }

    /** The same with the time source of the backoff and the log's pace ({@link System#nanoTime()}), for tests. */
    public ServiceTokens(OidcClient client, AccountsConfig config, Set<String> meshAudiences, LongSupplier nanoTime) {
        this.client = client;
        this.meshScope = config.meshTokenScope().orElse(NO_SCOPE);
        this.meshAudiences = Set.copyOf(meshAudiences);
        this.nanoTime = nanoTime;
    }

    /** The token for the mesh's services. */
    public Uni<String> accessToken() {
        return tokenFor(meshScope, false);
    }

    /** The token for one partner bank, asked for with its scope; refused (UNAVAILABLE) if it is one the mesh accepts. */
    public Uni<String> bankToken(String scope) {
        return tokenFor(scope, true);
    }

    private Uni<String> tokenFor(String scope, boolean forBank) {
        return Uni.createFrom().deferred(() -> {
            Tokens t = current.get(scope);
            if (t != null && !t.isAccessTokenExpired()) {
                if (t.isAccessTokenWithinRefreshInterval()) {
                    refresh(scope, forBank);  // in the background: this one is good until the new one is here
                }
                return Uni.createFrom().item(t.getAccessToken());
            }
            CompletableFuture<Tokens> refresh = refresh(scope, forBank);
            // the callers of a shared refresh go on where each of them started (CallerContext)
            return CallerContext.resume(Uni.createFrom().<Tokens>emitter(e -> refresh.whenComplete((fresh, failure) -> {
                if (failure == null) {
                    e.complete(fresh);
                } else {
                    e.fail(failure);
                }
            }))).map(Tokens::getAccessToken);
        });
    }

    /**
     * The refresh of {@code scope} under way, or a new one: at most one request to the provider per scope at a time,
     * and none while the last one's failure backs off (then it fails at once).
     */
    private CompletableFuture<Tokens> refresh(String scope, boolean forBank) {
        CompletableFuture<Tokens> mine = new CompletableFuture<>();
        CompletableFuture<Tokens> running = refreshing.putIfAbsent(scope, mine);
        if (running != null) {
            return running;
        }
        // a failure's backoff is written before its refresh is removed, so whoever gets here after it sees it
        Backoff backoff = backoffs.get(scope);
        if (backoff != null && nanoTime.getAsLong() - backoff.untilNanos() < 0) {
            refreshing.remove(scope, mine);
            mine.completeExceptionally(noToken());
            return mine;
        }
        fetch(scope, forBank).subscribe().with(fresh -> {
            backoffs.remove(scope);
            refreshing.remove(scope, mine);
            mine.complete(fresh);
        }, failure -> {
            backoffs.compute(scope, (s, last) -> {
                long now = nanoTime.getAsLong();
                // a failure long after the last one (a bank's scope asked for rarely) starts again from the first wait
                long delay = last == null || now - last.untilNanos() > MAX_BACKOFF.toNanos() ? FIRST_BACKOFF.toNanos()
                        : Math.min(2 * last.delayNanos(), MAX_BACKOFF.toNanos());
                return new Backoff(now + delay, delay);
            });
            refreshing.remove(scope, mine);
            mine.completeExceptionally(failure);
        });
        return mine;
    }

    private static StatusRuntimeException noToken() {
        return Status.UNAVAILABLE.withDescription("the identity provider did not issue a service token").asRuntimeException();
    }

    /** A new token from the provider, kept for the next callers. */
    private Uni<Tokens> fetch(String scope, boolean forBank) {
        // deferred: getTokens can throw at once (a client closed at shutdown), which would leave this scope's refresh
        // in `refreshing` for good, and every caller without a token joining it
        return Uni.createFrom().deferred(() -> client.getTokens(scope.isEmpty() ? Map.of() : Map.of("scope", scope)))
                .ifNoItem().after(FETCH_TIMEOUT).fail()
                .onFailure().transform(e -> {
                    // the provider's answer names the cause (invalid_scope, invalid_client): no secret in it
                    String cause = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
                    Tokens held = current.get(scope);
                    if (held != null && !held.isAccessTokenExpired()) {
                        logAtMostEveryMinute(Logger.Level.WARN, scope + "|refresh", "the identity provider did not refresh"
                                + " the token of scope '%s' (%s); the current one is used until it expires", scope, cause);
                    } else {
                        logAtMostEveryMinute(Logger.Level.ERROR, scope + "|fetch",
                                "the identity provider did not issue a token of scope '%s': %s", scope, cause);
                    }
                    return noToken();
                })
                .invoke(fresh -> {
                    if (forBank) {
                        requireNoMeshClaims(scope, fresh.getAccessToken());
                    }
                    current.put(scope, fresh);
                });
    }

    /** Fails (UNAVAILABLE) when a token meant for a bank carries an audience of the mesh or the mesh's groups. */
    void requireNoMeshClaims(String scope, String token) {
        JsonObject claims = payload(token);
        if (claims == null) {
            return;  // not a JWT: nothing the mesh would accept either
        }
        Object aud = claims.getValue("aud");
        boolean meshAudience = aud instanceof JsonArray list ? list.stream().anyMatch(meshAudiences::contains)
                : aud instanceof String one && meshAudiences.contains(one);
        if (meshAudience || claims.containsKey("groups")) {
            logAtMostEveryMinute(Logger.Level.ERROR, scope + "|mesh", "the identity provider gave the token of bank scope"
                    + " '%s' %s; it is not sent to the bank: give that scope the bank's audience only (k8s/README.md, onboarding a bank)",
                    scope, meshAudience ? "an audience of the mesh" : "the mesh's groups");
            throw Status.UNAVAILABLE.withDescription("no token for the bank: the identity provider gave it the mesh's claims")
                    .asRuntimeException();
        }
    }

    private static JsonObject payload(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void logAtMostEveryMinute(Logger.Level level, String key, String format, Object... args) {
        long now = nanoTime.getAsLong();
        Long last = lastLogged.get(key);
        if (last == null || now - last > LOG_EVERY_NANOS) {
            lastLogged.put(key, now);
            LOG.logf(level, format, args);
        }
    }
}
