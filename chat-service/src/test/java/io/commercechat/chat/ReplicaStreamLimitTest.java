package io.commercechat.chat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.SseStream;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One replica holds at most chat.streams-per-replica event streams, everyone's together (3 here): the next person's
 * stream is answered 503 server-busy before anything is streamed, a partner's Subscribe UNAVAILABLE, and a stream that
 * ends frees its place.
 */
@QuarkusTest
@TestProfile(ReplicaStreamLimitTest.ThreeStreams.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class ReplicaStreamLimitTest extends ChatTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(10);

    public static class ThreeStreams implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.streams-per-replica", "3");
        }
    }

    @Test
    void aReplicaFullOfStreamsRefusesTheNextUntilOneEnds() throws Exception {
        List<SseStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {  // three people, one stream each: no one is past their own limit
                SseStream s = SseStream.personEvents(baseUrl(), ISSUER.person(newPerson()), null);
                streams.add(s);
                assertEquals(200, s.status(), "stream " + (i + 1));
                assertEquals("connected", s.nextComment(WAIT), "stream " + (i + 1) + " is admitted");
            }
            try (SseStream refused = SseStream.personEvents(baseUrl(), ISSUER.person(newPerson()), null)) {
                assertEquals(503, refused.status(), "refused before anything is streamed");  // not left open if admitted
            }
            given().auth().oauth2(ISSUER.person(newPerson())).header("Accept", "text/event-stream").get("/v1/events")
                    .then().statusCode(503).contentType("application/problem+json").header("Retry-After", "30")
                    .body("type", endsWith("/server-busy"));
            try (InboxSubscriber partner = InboxSubscriber.open(channel, ISSUER.partner(SHOP), 0)) {
                Throwable refused = partner.error(WAIT);
                assertNotNull(refused, "the partner's Subscribe is refused");
                assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(refused).getCode(), refused.toString());
            }

            streams.remove(0).close();
            long deadline = System.nanoTime() + WAIT.toNanos();
            String first;
            do {
                Thread.sleep(100);
                try (SseStream again = SseStream.personEvents(baseUrl(), ISSUER.person(newPerson()), null)) {
                    first = again.status() == 200 ? again.nextComment(WAIT) : null;
                }
            } while (!"connected".equals(first) && System.nanoTime() < deadline);
            assertEquals("connected", first, "a closed stream's place is free again");
        } finally {
            streams.forEach(SseStream::close);
        }
    }

    private static String baseUrl() {
        return "http://127.0.0.1:" + GrpcCalls.testPort();
    }
}
