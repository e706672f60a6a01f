package io.commercechat.chat;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.Text;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class MessagingTest extends ChatTestSupport {

    /** The most unread messages a conversation shows (Conversation.UNREAD_SHOWN_AT_MOST). */
    private static final int UNREAD_CAP = 1000;

    @jakarta.inject.Inject
    io.commercechat.chat.inbox.service.TypingSweep typingSweep;

    @Test
    void concurrentSendersGetGaplessStrictlyIncreasingSeq() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        int threads = 20;
        int perThread = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<Integer>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                List<Integer> seqs = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    seqs.add(send(me, c, "t" + thread + "-" + i, "thread " + thread + " message " + i).statusCode(201)
                            .extract().path("seq"));
                }
                return seqs;
            }));
        }
        List<Integer> all = new ArrayList<>();
        for (Future<List<Integer>> f : results) {
            List<Integer> seqs = f.get();
            for (int i = 1; i < seqs.size(); i++) {
                assertTrue(seqs.get(i) > seqs.get(i - 1), "one sender's messages keep their order: " + seqs);
            }
            all.addAll(seqs);
        }
        pool.shutdown();
        all.sort(Integer::compare);
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= threads * perThread; i++) {
            expected.add(i);
        }
        assertEquals(expected, all, "seq is 1..200 with no gap and no duplicate");

        // history in both directions sees the same 200 messages
        JsonPath newest = as(me).get("/v1/conversations/" + c + "/messages?limit=100").then().statusCode(200).extract().jsonPath();
        assertEquals(200, newest.getInt("messages[0].seq"));
        assertEquals(101, newest.getInt("messages[99].seq"));
        assertTrue(newest.getBoolean("hasMore"));
        JsonPath older = as(me).get("/v1/conversations/" + c + "/messages?before=101&limit=100").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(100, older.getInt("messages[0].seq"));
        assertEquals(1, older.getInt("messages[99].seq"));
        assertEquals(false, older.getBoolean("hasMore"));
        JsonPath forward = as(me).get("/v1/conversations/" + c + "/messages?after=195&limit=100").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of(196, 197, 198, 199, 200), forward.getList("messages.seq"));
        // after=0 reads from the first message, oldest first (before, 0 meant "not asked" and gave the newest page)
        JsonPath fromStart = as(me).get("/v1/conversations/" + c + "/messages?after=0&limit=3").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of(1, 2, 3), fromStart.getList("messages.seq"));
        assertEquals(true, fromStart.getBoolean("hasMore"));
        as(me).get("/v1/conversations/" + c + "/messages?after=0&before=5").then().statusCode(400)
                .contentType("application/problem+json");
    }

    /**
     * Many conversations with one business write to its inbox at once. Positions are numbered at
     * commit (V3__inbox_positions_at_commit.sql): a subscriber from the start must still see
     * 1, 2, 3, ... with no gap and no duplicate, every message exactly once, and a resume from the
     * middle must continue exactly after it.
     */
    @Test
    void oneBusinessInboxStaysGaplessUnderConcurrentConversations() throws Exception {
        int people = 10;
        int perPerson = 10;
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> persons = new ArrayList<>();
        List<String> conversations = new ArrayList<>();
        for (int p = 0; p < people; p++) {
            persons.add(newPerson());
            conversations.add(open(persons.get(p), SHOP));
        }
        try (InboxSubscriber live = InboxSubscriber.open(channel, ISSUER.partner(SHOP), 0)) {
            ExecutorService pool = Executors.newFixedThreadPool(people);
            List<Future<?>> sends = new ArrayList<>();
            for (int p = 0; p < people; p++) {
                int person = p;
                sends.add(pool.submit(() -> {
                    for (int i = 0; i < perPerson; i++) {
                        send(persons.get(person), conversations.get(person), "g" + i, run + " " + person + "/" + i).statusCode(201);
                    }
                }));
            }
            for (Future<?> f : sends) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();

            Set<String> mine = new HashSet<>();
            long expectedPosition = 1;
            long middle = 0;
            while (mine.size() < people * perPerson) {
                InboxEvent e = live.next(Duration.ofSeconds(10));
                assertNotNull(e, "the live subscriber got " + mine.size() + " of " + people * perPerson + " messages");
                assertEquals(expectedPosition++, e.getPosition(), "positions of one inbox are gapless and in order");
                if (e.hasMessage() && e.getMessage().getContent().getText().getBody().startsWith(run)) {
                    assertTrue(mine.add(e.getMessage().getContent().getText().getBody()), "every message exactly once");
                    if (mine.size() == people * perPerson / 2) {
                        middle = e.getPosition();
                    }
                }
            }
            try (InboxSubscriber resumed = InboxSubscriber.open(channel, ISSUER.partner(SHOP), middle)) {
                assertEquals(middle + 1, resumed.next(Duration.ofSeconds(10)).getPosition(), "a resume continues right after");
            }
        }
    }

    @Test
    void retriesAreIdempotentAndReuseWithOtherTextConflicts() {
        String me = newPerson();
        String c = open(me, BANK);
        String id = send(me, c, "client-1", "Hello bank").statusCode(201).body("seq", equalTo(1)).extract().path("id");
        send(me, c, "client-1", "Hello bank").statusCode(200).body("id", equalTo(id)).body("seq", equalTo(1));
        send(me, c, "client-1", "Something else").statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/client-message-id-reused"))
                .body("detail", org.hamcrest.Matchers.containsString("client-1"));
        send(me, c, "client-2", "Second").statusCode(201).body("seq", equalTo(2));
        as(me).get("/v1/conversations/" + c + "/messages").then().statusCode(200).body("messages", hasSize(2));

        // the business may use the same client id: ids are unique per sender
        var sent = partner(BANK).sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("client-1")
                .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody("Hi, how can we help?"))).build());
        assertEquals(3, sent.getMessage().getSeq());
        assertEquals(false, sent.getDuplicate());
    }

    @Test
    void openIsGetOrCreate() {
        String me = newPerson();
        String first = as(me).body(Map.of("businessId", SHOP)).post("/v1/conversations").then().statusCode(201)
                .body("businessName", equalTo("Demo Shop")).extract().path("id");
        as(me).body(Map.of("businessId", SHOP)).post("/v1/conversations").then().statusCode(200).body("id", equalTo(first));
        as(me).body(Map.of("businessId", "no-such-business")).post("/v1/conversations").then().statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void opensOfOnePairAtOnceAllGetTheOneConversation() throws Exception {
        // a double submit: every open answers, one of them creates, all name the same conversation
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 10; round++) {
                String me = newPerson();
                List<Future<io.restassured.response.ExtractableResponse<io.restassured.response.Response>>> opens = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    opens.add(pool.submit(() -> as(me).body(Map.of("businessId", BANK)).post("/v1/conversations").then().extract()));
                }
                Set<String> ids = new HashSet<>();
                int created = 0;
                for (var f : opens) {
                    var r = f.get(30, TimeUnit.SECONDS);
                    assertTrue(r.statusCode() == 200 || r.statusCode() == 201, r.statusCode() + ": " + r.asString());
                    created += r.statusCode() == 201 ? 1 : 0;
                    ids.add(r.path("id"));
                }
                assertEquals(1, ids.size(), "one conversation per person and business: " + ids);
                assertEquals(1, created, "exactly one open created it");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theBusinessDirectoryIsPagedByName() {
        String me = newPerson();
        List<String> whole = as(me).get("/v1/businesses").then().statusCode(200).body("nextCursor", nullValue())
                .extract().path("businesses.displayName");
        assertTrue(whole.size() >= 2, "the directory holds the sandbox bank and the demo shop: " + whole);
        List<String> sorted = new ArrayList<>(whole);
        sorted.sort(String::compareTo);
        assertEquals(sorted, whole, "ordered by name");
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            var page = as(me).queryParam("limit", 1).queryParam("cursor", cursor == null ? "" : cursor).get("/v1/businesses")
                    .then().statusCode(200).body("businesses", hasSize(1)).extract().jsonPath();
            paged.addAll(page.getList("businesses.displayName"));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        assertEquals(whole, paged, "one business a page, each once, in the same order");
        as(me).queryParam("cursor", "not-a-cursor").get("/v1/businesses").then().statusCode(400)
                .contentType("application/problem+json");
        as(me).queryParam("limit", 101).get("/v1/businesses").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void readWatermarksAndUnreadCounts() {
        String me = newPerson();
        String c = open(me, BANK);
        send(me, c, "a", "question").statusCode(201);
        for (int i = 0; i < 3; i++) {
            partner(BANK).sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("b" + i)
                    .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody("answer " + i))).build());
        }
        Map<String, Object> listed = conversationOf(me, c);
        assertEquals(3, listed.get("unreadCount"));
        assertEquals("answer 2", ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) listed.get("lastMessage")).get("content")).get("text")).get("body"));

        as(me).body(Map.of("seq", 3)).post("/v1/conversations/" + c + "/read").then().statusCode(200).body("readSeq", equalTo(3));
        assertEquals(1, conversationOf(me, c).get("unreadCount"));
        // never backward
        as(me).body(Map.of("seq", 2)).post("/v1/conversations/" + c + "/read").then().statusCode(200).body("readSeq", equalTo(3));
        // not beyond the last message
        as(me).body(Map.of("seq", 99)).post("/v1/conversations/" + c + "/read").then().statusCode(400)
                .contentType("application/problem+json");

        var business = partner(BANK).listConversations(io.commercechat.proto.partner.v1.ListConversationsRequest.newBuilder().build())
                .getConversationsList().stream().filter(x -> x.getId().equals(c)).findFirst().orElseThrow();
        assertEquals(3, business.getPersonReadSeq());
        assertTrue(business.getPersonRef().startsWith("pr_"));
        assertTrue(!business.getPersonRef().contains(me));
    }

    /** A person's conversation-list cursor is theirs alone: another person's request with it is refused (400). */
    @Test
    void aConversationListCursorIsBoundToItsPerson() {
        String me = newPerson();
        open(me, SHOP);
        open(me, BANK);
        String cursor = as(me).queryParam("limit", 1).get("/v1/conversations").then().statusCode(200)
                .extract().path("nextCursor");
        assertNotNull(cursor);
        as(me).queryParam("limit", 1).queryParam("cursor", cursor).get("/v1/conversations").then().statusCode(200)
                .body("conversations", hasSize(1)).body("nextCursor", nullValue());
        as(newPerson()).queryParam("cursor", cursor).get("/v1/conversations").then().statusCode(400)
                .contentType("application/problem+json");
    }

    @Test
    void typingAndBlock() {
        String me = newPerson();
        String c = open(me, SHOP);
        as(me).body(Map.of("typing", true)).put("/v1/conversations/" + c + "/typing").then().statusCode(200)
                .body("typing", equalTo(true));
        as(me).body(Map.of("typing", false)).put("/v1/conversations/" + c + "/typing").then().statusCode(200)
                .body("expiresAt", nullValue());
        as(me).put("/v1/conversations/" + c + "/block").then().statusCode(200).body("blocked", equalTo(true));
        send(me, c, "x", "hi").statusCode(409).body("type", equalTo("https://commercechat.example/problems/business-blocked"));
        as(me).delete("/v1/conversations/" + c + "/block").then().statusCode(200).body("blocked", equalTo(false));
        send(me, c, "x", "hi").statusCode(201);
    }

    /**
     * Clients repeat "typing" while the person types; the other side hears of it only when something would change
     * on its screen: the first "typing", a repeat once less than half of the indicator's 6 s are left, and "stopped"
     * only while it is shown. Before, every call appended an inbox event.
     */
    @Test
    void typingIsWrittenOnlyWhenTheOtherSideWouldSeeAChange() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hello").statusCode(201);
        String first = null;
        for (int i = 0; i < 10; i++) {
            String expires = as(me).body(Map.of("typing", true)).put("/v1/conversations/" + c + "/typing").then()
                    .statusCode(200).body("typing", equalTo(true)).extract().path("expiresAt");
            if (first == null) {
                first = expires;
            }
            assertEquals(first, expires, "a repeat within the first half keeps the expiry the other side shows");
        }
        assertEquals(1, typingEvents("b:" + SHOP, c), "ten calls within two seconds, one event");
        for (int i = 0; i < 3; i++) {
            as(me).body(Map.of("typing", false)).put("/v1/conversations/" + c + "/typing").then().statusCode(200)
                    .body("expiresAt", nullValue());
        }
        assertEquals(2, typingEvents("b:" + SHOP, c), "the first stop clears it; the others have nothing to clear");
        as(me).body(Map.of("typing", true)).put("/v1/conversations/" + c + "/typing").then().statusCode(200);
        assertEquals(3, typingEvents("b:" + SHOP, c), "typing again after a stop is news");

        for (int i = 0; i < 5; i++) {
            partner(SHOP).setTyping(io.commercechat.proto.partner.v1.SetTypingRequest.newBuilder().setConversationId(c)
                    .setTyping(true).build());
        }
        assertEquals(1, typingEvents("p:" + me, c), "the business's side is limited the same way");
    }

    /**
     * A typing call that read the conversation before a block committed, and whose write waited for it, is answered
     * as a blocked one: nothing reaches the business, and a business's own SetTyping is refused. Before, the write
     * did not look at the block: the business was told the person was typing after it had been blocked, and its
     * SetTyping got OK and reached the person.
     */
    @Test
    void typingThatRacesABlockIsAnsweredAsBlocked() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hello").statusCode(201);
        int answer = underABlockThatCommitsMeanwhile(c, () -> as(me).body(Map.of("typing", true))
                .put("/v1/conversations/" + c + "/typing").then().extract().statusCode());
        assertEquals(200, answer, "the person is not told of the block by their own typing");
        assertEquals(0, typingEvents("b:" + SHOP, c), "nothing reaches the blocked business");

        String other = newPerson();
        String d = open(other, SHOP);
        send(other, d, "p1", "hello").statusCode(201);
        io.grpc.Status.Code refused = underABlockThatCommitsMeanwhile(d, () -> {
            try {
                partner(SHOP).setTyping(io.commercechat.proto.partner.v1.SetTypingRequest.newBuilder().setConversationId(d)
                        .setTyping(true).build());
                return io.grpc.Status.Code.OK;
            } catch (io.grpc.StatusRuntimeException e) {
                return e.getStatus().getCode();
            }
        });
        assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, refused);
        assertEquals(0, typingEvents("p:" + other, d), "the person hears nothing from a business they blocked");
    }

    /**
     * Runs {@code typing} while the test holds the conversation's row lock; once its write waits for that lock, the
     * conversation is blocked and the lock released (as PUT .../block commits).
     */
    private static <T> T underABlockThatCommitsMeanwhile(String conversation, java.util.concurrent.Callable<T> typing)
            throws Exception {
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (java.sql.Connection db = database()) {
            db.setAutoCommit(false);
            try (var lock = db.prepareStatement("SELECT 1 FROM conversations WHERE id = ? FOR UPDATE")) {
                lock.setObject(1, UUID.fromString(conversation));
                lock.executeQuery();
            }
            Future<T> answer = caller.submit(typing);
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE '%typing_until%' AND datname = current_database()") == 0) {
                assertTrue(System.nanoTime() < end, "the typing write never waited for the conversation");
                Thread.sleep(20);
            }
            try (var block = db.prepareStatement("UPDATE conversations SET blocked = true,"
                    + " read_seq_at_block = person_read_seq WHERE id = ?")) {
                block.setObject(1, UUID.fromString(conversation));
                block.executeUpdate();
            }
            db.commit();
            return answer.get(30, TimeUnit.SECONDS);
        } finally {
            caller.shutdownNow();
        }
    }

    /**
     * Opening a conversation the person already has answers it as the list shows it: the web client merges the answer
     * over what it holds. Before, it answered unreadCount 0 and no lastMessage, which wiped the list's badge and preview.
     */
    @Test
    void openingAnExistingConversationAnswersItAsTheListShowsIt() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "where is my order?").statusCode(201);
        for (int i = 0; i < 3; i++) {
            partner(SHOP).sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("b" + i)
                    .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody("update " + i))).build());
        }
        Map<String, Object> opened = as(me).body(Map.of("businessId", SHOP)).post("/v1/conversations").then().statusCode(200)
                .body("id", equalTo(c)).body("unreadCount", equalTo(3)).body("lastMessage.seq", equalTo(4))
                .body("lastMessage.content.text.body", equalTo("update 2")).extract().jsonPath().getMap("$");
        assertEquals(conversationOf(me, c), opened);
    }

    /**
     * Unread counts stop at {@link #UNREAD_CAP}, for the person (REST) and the business (gRPC) alike: an integration
     * that never marks anything read no longer makes every list count all of its messages.
     */
    @Test
    void unreadCountsStopAtTheCap() {
        String shop = "unread-shop-" + UUID.randomUUID().toString().substring(0, 8);
        update("INSERT INTO businesses (id, display_name, kind) VALUES (?, 'Unread Shop', 'SHOP')", shop);
        String me = newPerson();
        String c = open(me, shop);
        int each = UNREAD_CAP + 5;
        // the business's messages, then the person's, each side's watermark still at 0
        assertEquals(2 * each, update("INSERT INTO messages (id, conversation_id, seq, sender, client_message_id, kind,"
                + " content, visibility, sent_at) SELECT md5(? || g)::uuid, ?, g, CASE WHEN g <= ? THEN 'BUSINESS' ELSE"
                + " 'PERSON' END, 'bulk-' || g, 'TEXT', '{\"text\":{\"body\":\"n' || g || '\"}}', 'EVERYONE', now()"
                + " FROM generate_series(1, ?) g", c, UUID.fromString(c), each, 2 * each));
        update("UPDATE conversations SET last_seq = ?, last_message_at = now() WHERE id = ?", (long) 2 * each, UUID.fromString(c));
        assertEquals(UNREAD_CAP, conversationOf(me, c).get("unreadCount"));
        var seen = grpcAs(ISSUER.partner(shop)).listConversations(io.commercechat.proto.partner.v1.ListConversationsRequest
                .newBuilder().build()).getConversationsList().stream().filter(x -> x.getId().equals(c)).findFirst().orElseThrow();
        assertEquals(UNREAD_CAP, seen.getUnreadCount());
        // below the cap the count is exact
        as(me).body(Map.of("seq", 10)).post("/v1/conversations/" + c + "/read").then().statusCode(200);
        assertEquals(each - 10, conversationOf(me, c).get("unreadCount"));
    }

    /** Typing events older than chat.typing-kept are deleted; newer ones, and every other event, stay. */
    @Test
    void oldTypingEventsAreDeleted() {
        // a business of its own: other tests replay the shop's inbox from position 1 and expect no hole in it
        String shop = "typing-shop-" + UUID.randomUUID().toString().substring(0, 8);
        update("INSERT INTO businesses (id, display_name, kind) VALUES (?, 'Typing Shop', 'SHOP')", shop);
        String me = newPerson();
        String c = open(me, shop);
        send(me, c, "p1", "hello").statusCode(201);
        as(me).body(Map.of("typing", true)).put("/v1/conversations/" + c + "/typing").then().statusCode(200);
        as(me).body(Map.of("typing", false)).put("/v1/conversations/" + c + "/typing").then().statusCode(200);
        String other = newPerson();
        String recent = open(other, shop);
        as(other).body(Map.of("typing", true)).put("/v1/conversations/" + recent + "/typing").then().statusCode(200);
        assertEquals(2, update("UPDATE inbox_events SET occurred_at = occurred_at - interval '2 hours'"
                + " WHERE kind = 'typing' AND payload LIKE ?", "%" + c + "%"));
        long othersBefore = queryLong("SELECT count(*) FROM inbox_events WHERE participant = ? AND kind <> 'typing'", "b:" + shop);
        assertTrue(othersBefore >= 3, "two conversations opened and a message");

        long deleted = typingSweep.sweep().await().atMost(Duration.ofSeconds(30));
        assertTrue(deleted >= 2, "deleted " + deleted);
        assertEquals(0, typingEvents("b:" + shop, c), "the two-hour-old ones are gone");
        assertEquals(1, typingEvents("b:" + shop, recent), "a fresh one stays");
        assertEquals(othersBefore, queryLong("SELECT count(*) FROM inbox_events WHERE participant = ? AND kind <> 'typing'",
                "b:" + shop), "no other event is touched");
    }

    /**
     * A person who blocked a business reads on without the business learning of it: no read receipt reaches its
     * inbox, and its view of the conversation keeps the watermark the person had when blocking.
     */
    @Test
    void aBlockedBusinessDoesNotLearnWhatThePersonReads() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "my order?").statusCode(201);
        for (int i = 0; i < 3; i++) {
            partner(SHOP).sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("b" + i)
                    .setContent(MessageContent.newBuilder().setText(Text.newBuilder().setBody("update " + i))).build());
        }
        as(me).body(Map.of("seq", 2)).post("/v1/conversations/" + c + "/read").then().statusCode(200);
        assertEquals(1, readEvents(c));
        assertEquals(2, shopsView(c).getPersonReadSeq());

        as(me).put("/v1/conversations/" + c + "/block").then().statusCode(200);
        as(me).body(Map.of("seq", 4)).post("/v1/conversations/" + c + "/read").then().statusCode(200).body("readSeq", equalTo(4));
        assertEquals(0, conversationOf(me, c).get("unreadCount"), "the person's own view moves on");
        assertEquals(1, readEvents(c), "no read receipt reaches the blocked business");
        var seen = shopsView(c);
        assertTrue(seen.getBlocked());
        assertEquals(2, seen.getPersonReadSeq(), "the business sees the watermark from before the block");

        as(me).delete("/v1/conversations/" + c + "/block").then().statusCode(200);
        assertEquals(4, shopsView(c).getPersonReadSeq(), "once unblocked, the business sees the watermark again");
    }

    /**
     * The person's given_name is what the business sees of their name: control characters (a NUL could not even be
     * stored: the open failed with a 500) are dropped, it is cut at 100 characters without splitting one, and a claim
     * that is not a string is no name.
     */
    @Test
    void thePersonsNameReachesTheBusinessCleanedUp() {
        assertEquals("Ann Lee", nameTheShopSees("  Ann\u0000 Lee\n"));
        String emoji = "\uD83D\uDE00";
        assertEquals(emoji.repeat(100), nameTheShopSees(emoji.repeat(150)), "100 characters, none split");
        assertEquals("", nameTheShopSees(Map.of("first", "Ann")), "an object is no name");
    }

    private String nameTheShopSees(Object givenName) {
        String me = newPerson();
        String c = io.restassured.RestAssured.given().auth().oauth2(ISSUER.personWith(me, "given_name", givenName))
                .contentType(io.restassured.http.ContentType.JSON).body(Map.of("businessId", SHOP))
                .post("/v1/conversations").then().statusCode(201).extract().path("id");
        send(me, c, "p1", "hello").statusCode(201);  // most recent in the shop's list
        return shopsView(c).getPersonDisplayName();
    }

    private io.commercechat.proto.partner.v1.Conversation shopsView(String c) {
        return partner(SHOP).listConversations(io.commercechat.proto.partner.v1.ListConversationsRequest.newBuilder()
                .setPageSize(100).build()).getConversationsList().stream().filter(x -> x.getId().equals(c)).findFirst().orElseThrow();
    }

    private static long typingEvents(String inbox, String conversation) {
        return queryLong("SELECT count(*) FROM inbox_events WHERE participant = ? AND kind = 'typing' AND payload LIKE ?",
                inbox, "%" + conversation + "%");
    }

    private static long readEvents(String conversation) {
        return queryLong("SELECT count(*) FROM inbox_events WHERE participant = ? AND kind = 'read' AND payload LIKE ?",
                "b:" + SHOP, "%" + conversation + "%");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> conversationOf(String me, String c) {
        List<Map<String, Object>> all = as(me).get("/v1/conversations").then().statusCode(200).extract().path("conversations");
        return new HashMap<>(all.stream().filter(x -> c.equals(x.get("id"))).findFirst().orElseThrow());
    }
}
