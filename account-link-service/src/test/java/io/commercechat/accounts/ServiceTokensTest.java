package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.commercechat.accounts.client.ServiceTokens;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.runtime.OidcClientConfig;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * This service's own tokens from an identity provider that counts what it is asked and can be made to refuse: the real
 * quarkus-oidc-client, over HTTP, handed real tokens of the test issuer with the lifetime each test chooses. A token
 * that expires in less than the refresh skew (30 s, as configured) is in its refresh window from the start: every
 * call asks for it to be renewed. The backoff after a failed request goes by a clock the tests move ({@link #nanos}).
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class ServiceTokensTest extends MeshTestSupport {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Inject
    OidcClients oidcClients;

    @Inject
    AccountsConfig config;

    private CountingIdentityProvider idp;
    private OidcClient client;
    private ServiceTokens tokens;
    /** The time source of the backoff after a failed request (and of the log's pace): stands still unless moved. */
    private final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void start() throws IOException {
        idp = new CountingIdentityProvider();
        client = oidcClients.newClient(OidcClientConfig.builder().id("service-tokens-test-" + UUID.randomUUID())
                .authServerUrl(idp.baseUrl()).discoveryEnabled(false).tokenPath("/token")
                .clientId("account-link-service").credentials("secret")
                .grant(OidcClientConfig.Grant.Type.CLIENT).refreshTokenTimeSkew(Duration.ofSeconds(30)).build())
                .await().atMost(Duration.ofSeconds(10));
        tokens = new ServiceTokens(client, config, Set.of(TestIssuer.AUDIENCE), nanos::get);
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        idp.close();
    }

    /**
     * Callers who have no token wait for one request together; callers whose token is in its refresh window are served
     * it at once while one request renews it. Before, each of them asked the provider itself: under load, a request per
     * call for as long as the window lasted.
     */
    @Test
    void concurrentCallersShareOneRequestToTheProvider() throws Exception {
        // the provider answers slowly, so all the callers ask while the request is under way
        idp.answerAfterMillis = 1_000;
        idp.expiresInSeconds = 20;
        List<String> first = atOnce(20);
        assertEquals(1, idp.requests.get(), "one request for twenty callers without a token");
        assertEquals(Set.of(idp.issued(0)), Set.copyOf(first), "every caller gets the token that request brought");

        // that token is in its refresh window from the start (20 s left, refreshed 30 s before it expires)
        idp.expiresInSeconds = 600;
        List<String> inWindow = atOnce(20);
        assertEquals(Set.of(idp.issued(0)), Set.copyOf(inWindow), "the token in hand is served while it is renewed");
        await("the renewed token is served", Duration.ofSeconds(10), () -> idp.issued.size() == 2
                && tokens.accessToken().await().atMost(Duration.ofSeconds(10)).equals(idp.issued(1)));
        assertEquals(2, idp.requests.get(), "one renewal for twenty callers in the refresh window");
    }

    /**
     * Before, a refresh that failed failed the call, though the token in hand was good for a while yet. The token is
     * served while the refresh backs off: no request before the backoff (1 s) is over, then one. Before, each call in
     * the refresh window asked the provider again as soon as it had refused: a tight loop of requests.
     */
    @Test
    void aFailedRefreshServesTheCachedTokenWhileItIsValid() throws Exception {
        idp.expiresInSeconds = 20;
        String cached = tokens.accessToken().await().atMost(Duration.ofSeconds(10));
        idp.refusing = true;
        String failed = "the identity provider did not refresh the token of scope '" + TestIssuer.AUDIENCE + "'";
        int warnedBefore = occurrences(failed);

        assertEquals(cached, tokens.accessToken().await().atMost(Duration.ofSeconds(10)));
        await("the failed refresh is logged", Duration.ofSeconds(10),
                () -> idp.requests.get() == 2 && occurrences(failed) == warnedBefore + 1);
        assertEquals(cached, tokens.accessToken().await().atMost(Duration.ofSeconds(10)), "and after the refresh failed");
        for (int i = 0; i < 20; i++) {
            Thread.sleep(20);
            assertEquals(cached, tokens.accessToken().await().atMost(Duration.ofSeconds(10)), "within the backoff");
        }
        assertEquals(2, idp.requests.get(), "no request within the backoff");

        nanos.addAndGet(SECOND);
        assertEquals(cached, tokens.accessToken().await().atMost(Duration.ofSeconds(10)), "as the refresh is tried again");
        await("the refresh is tried again after the backoff", Duration.ofSeconds(10), () -> idp.requests.get() == 3);
        assertFalse(serviceLog().contains(cached), "the token is not logged");
    }

    /**
     * Without a token, a caller fails at once while the last request's failure backs off, and the provider is asked
     * again after it: 1 s, doubled by each further failure, back to 1 s after a success. Before, every such call asked
     * the provider again as soon as it had refused.
     */
    @Test
    void aProviderThatRefusesIsAskedAgainOnlyAfterAGrowingBackoff() throws Exception {
        idp.refusing = true;
        assertNoToken();
        for (int i = 0; i < 10; i++) {
            assertNoToken();
        }
        assertEquals(1, idp.requests.get(), "one request, then none within the backoff");

        nanos.addAndGet(SECOND);
        assertNoToken();
        assertEquals(2, idp.requests.get(), "asked again after 1 s");
        nanos.addAndGet(SECOND);
        assertNoToken();
        assertEquals(2, idp.requests.get(), "the second failure backs off 2 s");
        nanos.addAndGet(SECOND);
        assertNoToken();
        assertEquals(3, idp.requests.get(), "asked again after 2 s");

        // the provider is back: asked when the backoff (4 s now) is over; its token expires at once
        idp.refusing = false;
        idp.expiresInSeconds = 1;
        nanos.addAndGet(3 * SECOND);
        assertNoToken();
        assertEquals(3, idp.requests.get(), "the third failure backs off 4 s");
        nanos.addAndGet(SECOND);
        String fresh = tokens.accessToken().await().atMost(Duration.ofSeconds(10));
        assertEquals(idp.issued(0), fresh);
        assertEquals(4, idp.requests.get());

        Thread.sleep(2_500);
        idp.refusing = true;
        assertNoToken();
        nanos.addAndGet(SECOND);
        assertNoToken();
        assertEquals(6, idp.requests.get(), "the success reset the backoff to 1 s");

        // a failure long after the last backoff ran out (a rarely used scope) starts again from 1 s, not from 4
        nanos.addAndGet(60 * SECOND);
        assertNoToken();
        assertEquals(7, idp.requests.get());
        nanos.addAndGet(SECOND);
        assertNoToken();
        assertEquals(8, idp.requests.get(), "a failure a minute after the last backs off 1 s again");
    }

    /** An expired token is never served: the call fails as before when the provider does not issue a new one. */
    @Test
    void anExpiredTokenIsNotServedWhenTheRefreshFails() throws Exception {
        idp.expiresInSeconds = 1;
        tokens.accessToken().await().atMost(Duration.ofSeconds(10));
        Thread.sleep(2_500);
        idp.refusing = true;

        assertNoToken();
    }

    /** A call for the mesh token fails, with the answer a caller without a token gets, and does not hang. */
    private void assertNoToken() {
        var failed = assertThrows(StatusRuntimeException.class, () -> tokens.accessToken().await().atMost(Duration.ofSeconds(10)));
        assertEquals(Status.Code.UNAVAILABLE, failed.getStatus().getCode());
        assertEquals("the identity provider did not issue a service token", failed.getStatus().getDescription());
    }

    /** {@code callers} threads ask for the mesh token at the same moment; their answers. */
    private List<String> atOnce(int callers) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                answers.add(threads.submit(() -> {
                    go.await();
                    return tokens.accessToken().await().atMost(Duration.ofSeconds(10));
                }));
            }
            go.countDown();
            List<String> answered = new ArrayList<>();
            for (Future<String> answer : answers) {
                answered.add(answer.get(20, TimeUnit.SECONDS));
            }
            return answered;
        } finally {
            threads.shutdownNow();
        }
    }

    /** How often the service's log says {@code what}. */
    private static int occurrences(String what) {
        try {
            return serviceLog().split(Pattern.quote(what), -1).length - 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A client-credentials token endpoint ({@code POST /token}) that counts the requests and answers each, after
     * {@link #answerAfterMillis}, with a real token of the test issuer, to be used for {@link #expiresInSeconds}, or, while
     * {@link #refusing}, with 503.
     */
    static final class CountingIdentityProvider implements AutoCloseable {

        final AtomicInteger requests = new AtomicInteger();
        final List<String> issued = new CopyOnWriteArrayList<>();
        volatile long expiresInSeconds = 600;
        volatile long answerAfterMillis;
        volatile boolean refusing;
        private final ExecutorService executor = Executors.newCachedThreadPool();
        private final HttpServer server;

        CountingIdentityProvider() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            // as many threads as requests: a provider asked twenty times at once answers all twenty
            server.setExecutor(executor);
            server.createContext("/token", this::token);
            server.start();
        }

        String baseUrl() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        String issued(int index) {
            return issued.get(index);
        }

        private void token(HttpExchange ex) throws IOException {
            ex.getRequestBody().readAllBytes();
            int request = requests.incrementAndGet();
            try {
                Thread.sleep(answerAfterMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (refusing) {
                TestIssuer.respond(ex, 503, "{\"error\":\"temporarily_unavailable\"}");
                return;
            }
            // a token of its own each time (the exp claim; the client goes by expires_in)
            String token = ISSUER.serviceUntil("account-link-service", Instant.now().plus(TestIssuer.LIFETIME)
                    .plusSeconds(request));
            issued.add(token);
            TestIssuer.respond(ex, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":"
                    + expiresInSeconds + "}");
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
