package io.commercechat.chat.security;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuer;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.smallrye.jwt.runtime.auth.JsonWebTokenCredential;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;

/**
 * Verified tokens are remembered (security.VerifiedTokens) with the service's real SmallRye JWT
 * parser and real tokens from the test issuer; the parser is counted to see when a token is verified
 * again, and the memory's clock is moved by hand.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class VerifiedTokensTest {

    private static final TestIssuer ISSUER = TestIssuer.get();
    private static final AuthenticationRequestContext ON_THIS_THREAD = supplier -> Uni.createFrom().item(supplier);

    @Inject
    JWTParser parser;

    @Inject
    VerifiedTokens edge;

    /** The real parser, counting its verifications ({@code parse(token)}); every other call goes straight through. */
    private final class CountingParser {
        final AtomicInteger verifications = new AtomicInteger();
        final JWTParser parser = (JWTParser) Proxy.newProxyInstance(JWTParser.class.getClassLoader(),
                new Class<?>[] {JWTParser.class}, (proxy, method, args) -> {
                    if (method.getName().equals("parse") && args.length == 1) {
                        verifications.incrementAndGet();
                    }
                    try {
                        return method.invoke(VerifiedTokensTest.this.parser, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A clock the test moves. */
    private static final class Hands extends Clock {
        Instant now = Instant.now();

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static SecurityIdentity authenticate(VerifiedTokens tokens, String token) {
        return tokens.authenticate(new TokenAuthenticationRequest(new JsonWebTokenCredential(token)), ON_THIS_THREAD)
                .await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void theRestEdgeAuthenticatesThroughTheMemory() {
        String token = ISSUER.person("memo-edge");
        given().auth().oauth2(token).get("/v1/businesses").then().statusCode(200);
        assertTrue(edge.remembers(token), "the edge's bearer tokens go through VerifiedTokens");
        given().auth().oauth2(token).get("/v1/businesses").then().statusCode(200);

        String expired = ISSUER.expired("memo-edge");
        given().auth().oauth2(expired).get("/v1/businesses").then().statusCode(401);
        assertFalse(edge.remembers(expired));
    }

    @Test
    void aVerifiedTokenIsServedAgainWithoutVerifyingItUntilItsMaxAge() {
        CountingParser counting = new CountingParser();
        Hands clock = new Hands();
        VerifiedTokens tokens = new VerifiedTokens(counting.parser, Duration.ofSeconds(60).toMillis(), 100, clock);
        String token = ISSUER.person("memo-alice");

        for (int i = 0; i < 3; i++) {
            SecurityIdentity identity = authenticate(tokens, token);
            assertEquals("memo-alice", ((JsonWebToken) identity.getPrincipal()).getSubject());
            assertEquals(Set.of("user"), identity.getRoles());
            assertEquals(token, ((JsonWebToken) identity.getPrincipal()).getRawToken());
        }
        assertEquals(1, counting.verifications.get(), "verified once, then remembered");

        clock.now = clock.now.plusSeconds(61);
        authenticate(tokens, token);
        assertEquals(2, counting.verifications.get(), "verified again after the max age");
    }

    @Test
    void aTokenIsNeverServedFromMemoryPastItsExpiry() {
        CountingParser counting = new CountingParser();
        Hands clock = new Hands();
        VerifiedTokens tokens = new VerifiedTokens(counting.parser, Duration.ofDays(1).toMillis(), 100, clock);
        String token = ISSUER.person("memo-bob"); // expires in TestIssuer.LIFETIME

        authenticate(tokens, token);
        clock.now = clock.now.plus(TestIssuer.LIFETIME).plusSeconds(1);
        authenticate(tokens, token); // the parser judges it again (by the real time, it is still valid)
        assertEquals(2, counting.verifications.get());
    }

    @Test
    void brokenTokensAreRefusedEveryTimeAndNeverRemembered() {
        CountingParser counting = new CountingParser();
        VerifiedTokens tokens = new VerifiedTokens(counting.parser, Duration.ofSeconds(60).toMillis(), 100, new Hands());
        List<String> broken = List.of(ISSUER.expired("memo-carol"), ISSUER.wrongIssuer("memo-carol"),
                ISSUER.wrongAudience("memo-carol"), ISSUER.badSignature("memo-carol"), ISSUER.algNone("memo-carol"),
                ISSUER.notYetValid("memo-carol"), ISSUER.missingSub());
        for (int round = 0; round < 2; round++) {
            for (String token : broken) {
                var failure = assertThrows(RuntimeException.class, () -> authenticate(tokens, token));
                assertInstanceOf(AuthenticationFailedException.class, failure);
            }
        }
        assertEquals(2 * broken.size(), counting.verifications.get(), "each broken token was verified (and refused) each time");
    }

    @Test
    void aFullMemoryStartsOverAndKeepsServingCorrectIdentities() {
        CountingParser counting = new CountingParser();
        VerifiedTokens tokens = new VerifiedTokens(counting.parser, Duration.ofSeconds(60).toMillis(), 2, new Hands());
        String a = ISSUER.person("memo-a");
        String b = ISSUER.person("memo-b");
        String c = ISSUER.person("memo-c");
        authenticate(tokens, a);
        authenticate(tokens, b);
        assertEquals("memo-c", ((JsonWebToken) authenticate(tokens, c).getPrincipal()).getSubject()); // full: starts over
        assertEquals(3, counting.verifications.get());
        assertEquals("memo-c", ((JsonWebToken) authenticate(tokens, c).getPrincipal()).getSubject());
        assertEquals(3, counting.verifications.get(), "the newest token is remembered");
        assertEquals("memo-a", ((JsonWebToken) authenticate(tokens, a).getPrincipal()).getSubject());
        assertEquals(4, counting.verifications.get(), "an older one was forgotten and is verified again");
    }

    @Test
    void otherCredentialsAreLeftToOtherProviders() {
        VerifiedTokens tokens = new VerifiedTokens(new CountingParser().parser, 60_000, 100, new Hands());
        var request = new TokenAuthenticationRequest(new io.quarkus.security.credential.TokenCredential("x", "opaque"));
        assertNull(tokens.authenticate(request, ON_THIS_THREAD).await().atMost(Duration.ofSeconds(1)));
    }
}
