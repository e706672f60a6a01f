package io.commercechat.chat;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.Text;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.SseStream;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class EventStreamTest extends ChatTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static String baseUrl() {
        return "http://127.0.0.1:" + GrpcCalls.testPort();
    }

    /**
     * A stream is served no longer than a request with its token would be: it ends when the token is no longer
     * accepted (expiry plus the verifier's 30 s of clock skew), telling the client to reconnect at once with a new
     * token from its Last-Event-ID. Before, a leaked token kept a stream of the person's messages open for ever.
     */
    @Test
    void aStreamEndsWhenTheTokenItWasOpenedWithIsNoLongerAccepted() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        // expired 20 s ago: accepted for 10 s more (the verifier allows 30 s of clock skew)
        String token = ISSUER.personUntil(me, Instant.now().minusSeconds(20));
        double open = openStreams();
        try (SseStream stream = SseStream.personEvents(baseUrl(), token, null)) {
            assertEquals(200, stream.status());
            send(me, c, "t1", "while the token lasts").statusCode(201);
            List<SseStream.Event> got = stream.until(e -> e.name().equals("message"), WAIT);
            assertEquals("message", got.get(got.size() - 1).name());
            long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
            List<String> comments = new ArrayList<>();
            for (String comment; !stream.ended() && System.nanoTime() < deadline;) {
                if ((comment = stream.nextComment(Duration.ofMillis(200))) != null) {
                    comments.add(comment);
                }
            }
            assertTrue(stream.ended(), "the stream ended");
            for (String comment; (comment = stream.nextComment(Duration.ZERO)) != null;) {
                comments.add(comment);
            }
            assertTrue(comments.contains("token expired"), "its last line says why: " + comments);
            // and nothing keeps reading the inbox for it (the feed behind the stream was cancelled)
            awaitOpenStreams(open);
        }
        // the same token is refused from then on; a new one resumes the stream
        given().auth().oauth2(token).get("/v1/events").then().statusCode(401);
        try (SseStream next = SseStream.personEvents(baseUrl(), ISSUER.person(me), null)) {
            assertNotNull(next.until(e -> e.name().equals("message"), WAIT));
        }
    }

    /** The streams open on the service (its metric chat.inbox.streams). */
    static double openStreams() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("chat_inbox_streams ")).mapToDouble(l ->
                Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    }

    /** Waits until {@code count} streams are open (5 s at most). */
    static void awaitOpenStreams(double count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (openStreams() != count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(count, openStreams(), "streams open");
    }

    private void businessSays(String c, String clientId, String text) {
        partner(SHOP).sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId(clientId)
                .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody(text))).build());
    }

    @Test
    void resumesWithLastEventIdWithoutGapOrDuplicate() throws Exception {
        String me = newPerson();
        String token = ISSUER.person(me);
        String c = open(me, SHOP);
        List<SseStream.Event> seen = new ArrayList<>();

        try (SseStream first = SseStream.personEvents(baseUrl(), token, null)) {
            assertEquals(200, first.status());
            assertTrue(first.contentType().startsWith("text/event-stream"), first.contentType());
            send(me, c, "p1", "I ordered shoes").statusCode(201);
            for (int i = 1; i <= 4; i++) {
                businessSays(c, "b" + i, "update " + i);
            }
            seen.addAll(first.take(3, "message", WAIT));
        } // dropped mid-stream: two messages are not yet seen

        for (int i = 5; i <= 7; i++) {
            businessSays(c, "b" + i, "update " + i); // sent while the person is offline
        }
        long last = seen.get(seen.size() - 1).id();
        try (SseStream second = SseStream.personEvents(baseUrl(), token, last)) {
            seen.addAll(second.take(8 - countMessages(seen), "message", WAIT));
            assertEquals(null, second.next(Duration.ofMillis(1500)), "nothing more than was committed");
        }

        List<Long> ids = seen.stream().map(SseStream.Event::id).toList();
        for (int i = 1; i < ids.size(); i++) {
            assertEquals(ids.get(i - 1) + 1, ids.get(i), "inbox positions arrive once each, in order: " + ids);
        }
        List<Integer> seqs = seen.stream().filter(e -> e.name().equals("message"))
                .map(e -> JsonPath.from(e.data()).getInt("seq")).toList();
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), seqs);
        JsonPath firstMessage = JsonPath.from(seen.get(0).data());
        assertEquals("PERSON", firstMessage.getString("sender"));
        assertEquals("I ordered shoes", firstMessage.getString("content.text.body"));
    }

    @Test
    void aNewDeviceStartsAtTheInboxsEndInsteadOfReplayingTheHistory() throws Exception {
        String me = newPerson();
        String token = ISSUER.person(me);
        String c = open(me, SHOP);
        send(me, c, "p1", "first").statusCode(201);
        businessSays(c, "b1", "second");
        long end;
        try (SseStream history = SseStream.personEvents(baseUrl(), token, null)) {
            List<SseStream.Event> all = history.take(2, "message", WAIT);
            end = all.get(all.size() - 1).id();
        }
        String fromNow = baseUrl() + "/v1/events?after=now";

        try (SseStream fresh = SseStream.open(fromNow, token, null)) {
            SseStream.Event ready = fresh.next(WAIT);
            assertNotNull(ready);
            assertEquals("ready", ready.name(), "no history before it: " + ready);
            assertEquals(end, ready.id(), "the position the client resumes from");
            assertEquals(end, JsonPath.from(ready.data()).getLong("position"));
            businessSays(c, "b2", "third");
            SseStream.Event next = fresh.next(WAIT);
            assertNotNull(next);
            assertEquals("message", next.name());
            assertEquals(end + 1, next.id());
            assertEquals(3, JsonPath.from(next.data()).getInt("seq"));
            assertEquals(List.of(), fresh.drain(Duration.ofMillis(1500)), "nothing more than was committed");
        }

        // a client that has a position resumes from it, whatever the URL says
        try (SseStream resumed = SseStream.open(fromNow, token, end)) {
            SseStream.Event next = resumed.next(WAIT);
            assertNotNull(next);
            assertEquals(end + 1, next.id());
            assertEquals("message", next.name());
        }
        // an inbox nobody has written to yet starts at 0
        try (SseStream empty = SseStream.open(fromNow, ISSUER.person(newPerson()), null)) {
            SseStream.Event ready = empty.next(WAIT);
            assertNotNull(ready);
            assertEquals("ready", ready.name());
            assertEquals(0, ready.id());
        }
        as(me).queryParam("after", "later").get("/v1/events").then().statusCode(400)
                .contentType("application/problem+json");
    }

    @Test
    void deliversReadReceiptsTypingAndHeartbeats() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hello").statusCode(201);
        businessSays(c, "b1", "hi there");
        send(me, c, "p2", "where is my parcel?").statusCode(201);
        try (SseStream stream = SseStream.personEvents(baseUrl(), ISSUER.person(me), null)) {
            stream.take(3, "message", WAIT);
            partner(SHOP).markRead(io.commercechat.proto.partner.v1.MarkReadRequest.newBuilder().setConversationId(c).setSeq(3).build());
            partner(SHOP).setTyping(SetTypingRequest.newBuilder().setConversationId(c).setTyping(true).build());
            SseStream.Event read = stream.next(WAIT);
            assertNotNull(read);
            assertEquals("read", read.name());
            assertEquals(3, JsonPath.from(read.data()).getInt("readSeq"));
            assertEquals("BUSINESS", JsonPath.from(read.data()).getString("reader"));
            SseStream.Event typing = stream.next(WAIT);
            assertNotNull(typing);
            assertEquals("typing", typing.name());
            assertEquals(true, JsonPath.from(typing.data()).getBoolean("typing"));
            assertNotNull(JsonPath.from(typing.data()).getString("expiresAt"));
            assertEquals("connected", stream.nextComment(WAIT));
            assertEquals("keep-alive", stream.nextComment(Duration.ofSeconds(5)), "a heartbeat comment while idle");
        }
    }

    /**
     * What a person reads on one device reaches their other streams (another tab, their phone), which clear the
     * conversation's unread badge; the business is told as before, and a business the person blocks is not. Before,
     * the person's read went to the business's inbox only.
     */
    @Test
    void aPersonsOtherStreamsSeeTheirOwnReadMarker() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hello").statusCode(201);
        businessSays(c, "b1", "hi there");
        businessSays(c, "b2", "how can we help?");
        try (SseStream otherDevice = SseStream.personEvents(baseUrl(), ISSUER.person(me), null)) {
            otherDevice.take(3, "message", WAIT);
            as(me).body(Map.of("seq", 3)).post("/v1/conversations/" + c + "/read").then().statusCode(200);
            SseStream.Event read = otherDevice.next(WAIT);
            assertNotNull(read, "the other device hears of the read");
            assertEquals("read", read.name());
            JsonPath marker = JsonPath.from(read.data());
            assertEquals(c, marker.getString("conversationId"));
            assertEquals("PERSON", marker.getString("reader"));
            assertEquals(3, marker.getInt("readSeq"));
            assertEquals(1, shopsReadReceipts(c), "the business gets its read receipt as before");

            businessSays(c, "b3", "anything else?");
            as(me).put("/v1/conversations/" + c + "/block").then().statusCode(200);
            as(me).body(Map.of("seq", 4)).post("/v1/conversations/" + c + "/read").then().statusCode(200);
            List<SseStream.Event> got = otherDevice.until(e -> e.name().equals("read"), WAIT);
            assertEquals(4, JsonPath.from(got.get(got.size() - 1).data()).getInt("readSeq"), "also while the business is blocked");
            assertEquals(1, shopsReadReceipts(c), "a blocked business is not told");
        }
    }

    private static long shopsReadReceipts(String conversation) {
        return queryLong("SELECT count(*) FROM inbox_events WHERE participant = ? AND kind = 'read' AND payload LIKE ?",
                "b:" + SHOP, "%" + conversation + "%");
    }

    @Test
    void streamsOnlyTheCallersOwnInbox() throws Exception {
        String me = newPerson();
        String other = newPerson();
        String mine = open(me, SHOP);
        String theirs = open(other, SHOP);
        try (SseStream stream = SseStream.personEvents(baseUrl(), ISSUER.person(me), null)) {
            send(other, theirs, "o1", "not for you").statusCode(201);
            send(me, mine, "m1", "mine").statusCode(201);
            SseStream.Event e = stream.next(WAIT);
            assertNotNull(e);
            assertEquals(mine, JsonPath.from(e.data()).getString("conversationId"));
            assertEquals(null, stream.next(Duration.ofMillis(1500)));
        }
        as(me).header("Last-Event-ID", "abc").get("/v1/events").then().statusCode(400)
                .contentType("application/problem+json");
        io.restassured.RestAssured.given().header("Accept", "text/event-stream").get("/v1/events").then().statusCode(401);
        io.restassured.RestAssured.given().auth().oauth2(ISSUER.partner(SHOP)).get("/v1/events").then().statusCode(403);
    }

    /**
     * A position the inbox has not reached (kept across a restored database, say) starts the stream at the inbox's
     * end with "ready", which tells the client to read its snapshot again. Before, such a stream stayed silent until
     * the inbox got there, and the client missed every event in between.
     */
    @Test
    void aPositionBeyondTheInboxsEndStartsAtTheEndWithReady() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hello").statusCode(201);
        long end = inboxHead("p:" + me);
        assertTrue(end >= 1, "the send's event is in the inbox");
        try (SseStream stream = SseStream.personEvents(baseUrl(), ISSUER.person(me), end + 5)) {
            assertEquals(200, stream.status());
            SseStream.Event ready = stream.next(WAIT);
            assertNotNull(ready);
            assertEquals("ready", ready.name());
            assertEquals(end, ready.id(), "it starts at the inbox's end");
            businessSays(c, "b1", "after the end");
            SseStream.Event next = stream.next(WAIT);
            assertNotNull(next);
            assertEquals(end + 1, next.id(), "and carries what comes next");
        }
        try (SseStream stream = SseStream.open(baseUrl() + "/v1/events?after=" + (end + 1000), ISSUER.person(me), null)) {
            SseStream.Event ready = stream.next(WAIT);
            assertNotNull(ready);
            assertEquals("ready", ready.name());
            assertEquals(end + 1, ready.id());
        }
        // the inbox's own end is a position a client may hold: it resumes there, without "ready"
        try (SseStream stream = SseStream.personEvents(baseUrl(), ISSUER.person(me), end + 1)) {
            assertEquals("connected", stream.nextComment(WAIT));
            businessSays(c, "b2", "more");
            SseStream.Event next = stream.next(WAIT);
            assertNotNull(next);
            assertEquals("message", next.name());
            assertEquals(end + 2, next.id());
        }
    }

    /**
     * One person holds at most chat.streams-per-person streams on a replica (4 in tests): the next is answered 429
     * with a problem before anything is streamed, and a stream that ends frees its place. Another person is not
     * affected.
     */
    @Test
    void aPersonsOpenStreamsAreLimited() throws Exception {
        String me = newPerson();
        String token = ISSUER.person(me);
        List<SseStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                SseStream s = SseStream.personEvents(baseUrl(), token, null);
                streams.add(s);
                assertEquals(200, s.status(), "stream " + (i + 1));
                assertEquals("connected", s.nextComment(WAIT), "stream " + (i + 1) + " is admitted");
            }
            given().auth().oauth2(token).header("Accept", "text/event-stream").get("/v1/events").then().statusCode(429)
                    .contentType("application/problem+json").header("Retry-After", "30")
                    .body("type", org.hamcrest.Matchers.endsWith("/too-many-streams"))
                    .body("detail", org.hamcrest.Matchers.containsString("4 event streams open"));
            String other = newPerson();
            try (SseStream theirs = SseStream.personEvents(baseUrl(), ISSUER.person(other), null)) {
                assertEquals(200, theirs.status(), "another person's stream");
            }
            streams.remove(0).close();
            long deadline = System.nanoTime() + WAIT.toNanos();
            String first;
            do {
                Thread.sleep(100);
                try (SseStream again = SseStream.personEvents(baseUrl(), token, null)) {
                    first = again.status() == 200 ? again.nextComment(WAIT) : null;
                }
            } while (!"connected".equals(first) && System.nanoTime() < deadline);
            assertEquals("connected", first, "a closed stream's place is free again");
        } finally {
            streams.forEach(SseStream::close);
        }
    }

    private static int countMessages(List<SseStream.Event> events) {
        return (int) events.stream().filter(e -> e.name().equals("message")).count();
    }
}
