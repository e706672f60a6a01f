package io.commercechat.sandbox;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.MarkReadRequest;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.testkit.SseStream;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The bank agent console against an in-test BusinessMessaging server (FakePlatform). */
@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentConsoleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    @BeforeAll
    static void chatServiceIsUp() {
        FakePlatform.startChat();
    }

    @AfterAll
    static void leaveChatServiceUp() {
        FakePlatform.startChat();
    }

    @Test
    @Order(1)
    void eventsAreRelayedInOrderAndTheSubscriptionResumesFromTheLastPositionAfterADrop() throws Exception {
        try (SseStream browser = consoleEvents(null)) {
            assertNotNull(next(browser, "status"));
            await(() -> !FakePlatform.SUBSCRIPTIONS.isEmpty(), "the sandbox subscribes to the bank's inbox");
            FakePlatform.Received<SubscribeRequest> first = FakePlatform.SUBSCRIPTIONS.get(FakePlatform.SUBSCRIPTIONS.size() - 1);
            FakePlatform.assertPartnerToken(first.authorization(), "sandbox-bank");

            InboxEvent e1 = FakePlatform.publish(FakePlatform.personText("conv-live", 1, "one"));
            InboxEvent e2 = FakePlatform.publish(FakePlatform.personText("conv-live", 2, "two"));
            InboxEvent e3 = FakePlatform.publish(FakePlatform.personText("conv-live", 3, "three"));
            for (InboxEvent expected : new InboxEvent[] {e1, e2, e3}) {
                SseStream.Event got = next(browser, "inbox");
                assertEquals(expected.getPosition(), got.id());
                JsonNode event = JSON.readTree(got.data());
                assertEquals(expected.getPosition(), event.get("position").asLong());
                assertEquals(expected.getMessage().getContent().getText().getBody(),
                        event.at("/message/content/text/body").asText());
                assertEquals("SENDER_KIND_PERSON", event.at("/message/sender").asText());
            }

            int subscriptions = FakePlatform.SUBSCRIPTIONS.size();
            FakePlatform.dropSubscriptions();
            await(() -> FakePlatform.SUBSCRIPTIONS.size() > subscriptions, "the sandbox subscribes again");
            assertEquals(e3.getPosition(), FakePlatform.SUBSCRIPTIONS.get(subscriptions).request().getAfterPosition(),
                    "it resumes after the last processed position");

            InboxEvent e4 = FakePlatform.publish(FakePlatform.personText("conv-live", 4, "four"));
            SseStream.Event got = next(browser, "inbox");
            assertEquals(e4.getPosition(), got.id(), "nothing repeated, nothing lost");
            assertEquals("four", JSON.readTree(got.data()).at("/message/content/text/body").asText());

            // a browser reconnecting with Last-Event-ID gets what it missed, in order
            try (SseStream again = consoleEvents(e2.getPosition())) {
                assertEquals(e3.getPosition(), next(again, "inbox").id());
                assertEquals(e4.getPosition(), next(again, "inbox").id());
            }
        }
        given().get("/agent/status").then().statusCode(200).body("upstream", equalTo("live"));
    }

    @Test
    @Order(2)
    void conversationsAndHistoryIncludingSharedAccountCards() {
        given().get("/agent/conversations").then().statusCode(200)
                .body("conversations[0].id", equalTo(FakePlatform.BANK_CONVERSATION),
                        "conversations[0].personDisplayName", equalTo("Ada"));
        given().get("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/history?pageSize=50").then().statusCode(200)
                .body("messages[0].content.text.body", equalTo("Can you check my card?"),
                        "messages[1].content.accountCard.title", equalTo("Balance"),
                        "messages[1].content.accountCard.lines[0]", equalTo("Available  £1,234.56"));
        given().get("/agent/conversations/conv-unknown/history").then().statusCode(404)
                .contentType(containsString("application/problem+json"));
        given().get("/agent/conversations/c/history?beforeSeq=3&afterSeq=1").then().statusCode(400)
                .contentType(containsString("application/problem+json"));
        // numbers that are not numbers are a 400 problem naming the parameter (Quarkus's own answer was a 404)
        for (String query : List.of("/agent/conversations?pageSize=abc", "/agent/conversations?pageSize=4294967297",
                "/agent/conversations/c/history?beforeSeq=x", "/agent/conversations/c/history?pageSize=1.5")) {
            given().get(query).then().statusCode(400).contentType(containsString("application/problem+json"))
                    .body("detail", containsString(query.contains("beforeSeq") ? "beforeSeq" : "pageSize"));
        }
    }

    @Test
    @Order(3)
    void replyingMarkingReadAndTypingUseThePartnerTokenOfTheBank() throws Exception {
        int before = FakePlatform.MESSAGES.size();
        given().contentType("application/json")
                .body("{\"clientMessageId\":\"cm-1\",\"text\":\"Which card?\",\"quickReplies\":[{\"label\":\"Debit\"},{\"label\":\"Credit\",\"payload\":\"credit\"}]}")
                .post("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/messages").then().statusCode(200)
                .body("message.clientMessageId", equalTo("cm-1"), "message.conversationId", equalTo(FakePlatform.BANK_CONVERSATION));
        FakePlatform.Received<SendMessageRequest> sent = FakePlatform.MESSAGES.get(before);
        assertEquals(FakePlatform.BANK_CONVERSATION, sent.request().getConversationId());
        assertEquals("cm-1", sent.request().getClientMessageId());
        assertEquals("Which card?", sent.request().getContent().getQuickReplies().getBody());
        assertEquals("Debit", sent.request().getContent().getQuickReplies().getOptions(0).getPayload());
        assertEquals("credit", sent.request().getContent().getQuickReplies().getOptions(1).getPayload());
        assertEquals(UpdateTag.UPDATE_TAG_UNSPECIFIED, sent.request().getUpdateTag());
        FakePlatform.assertPartnerToken(sent.authorization(), "sandbox-bank");

        given().contentType("application/json").body("{\"seq\":2}")
                .post("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/read").then().statusCode(200)
                .body("readSeq", equalTo("2"));
        FakePlatform.Received<MarkReadRequest> read = FakePlatform.READS.get(FakePlatform.READS.size() - 1);
        assertEquals(2, read.request().getSeq());
        FakePlatform.assertPartnerToken(read.authorization(), "sandbox-bank");

        given().contentType("application/json").body("{\"typing\":true}")
                .post("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/typing").then().statusCode(204);
        FakePlatform.Received<SetTypingRequest> typing = FakePlatform.TYPING.get(FakePlatform.TYPING.size() - 1);
        assertTrue(typing.request().getTyping());
        FakePlatform.assertPartnerToken(typing.authorization(), "sandbox-bank");

        given().contentType("application/json").body("{\"text\":\"no id\"}")
                .post("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/messages").then().statusCode(400)
                .contentType(containsString("application/problem+json")).body("detail", containsString("clientMessageId"));
        given().contentType("application/json").body("{\"clientMessageId\":\"x\",\"text\":\"hi\",\"updateTag\":\"PROMOTION\"}")
                .post("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/messages").then().statusCode(400);
        // JSON of the wrong shape: a problem the console can show, not the framework's bare 400
        String conversation = "/agent/conversations/" + FakePlatform.BANK_CONVERSATION;
        for (String[] bad : new String[][] {{"/read", "{\"seq\":\"abc\"}"}, {"/read", "[]"}, {"/typing", "{\"typing\":[1]}"},
                {"/messages", "{\"clientMessageId\":\"y\",\"text\":\"hi\",\"quickReplies\":\"x\"}"}}) {
            given().contentType("application/json").body(bad[1]).post(conversation + bad[0]).then().statusCode(400)
                    .contentType(containsString("application/problem+json")).body("detail", containsString("JSON"));
        }
        assertEquals(before + 1, FakePlatform.MESSAGES.size(), "invalid requests never reach chat-service");
    }

    @Test
    @Order(4)
    void outsideTheReplyWindowIsAProblemTheConsoleCanActOnWithTheAccountUpdateTag() {
        given().contentType("application/json").body("{\"clientMessageId\":\"cm-late\",\"text\":\"Your card is on its way\"}")
                .post("/agent/conversations/" + FakePlatform.QUIET_CONVERSATION + "/messages").then().statusCode(409)
                .contentType(containsString("application/problem+json"))
                .body("type", endsWith(":outside-reply-window"), "status", equalTo(409), "detail", containsString("24 hours"));

        given().contentType("application/json")
                .body("{\"clientMessageId\":\"cm-late\",\"text\":\"Your card is on its way\",\"updateTag\":\"ACCOUNT_UPDATE\"}")
                .post("/agent/conversations/" + FakePlatform.QUIET_CONVERSATION + "/messages").then().statusCode(200);
        SendMessageRequest sent = FakePlatform.MESSAGES.get(FakePlatform.MESSAGES.size() - 1).request();
        assertEquals(UpdateTag.UPDATE_TAG_ACCOUNT_UPDATE, sent.getUpdateTag());
        assertEquals("cm-late", sent.getClientMessageId());
    }

    @Test
    @Order(5)
    void theConsolePageIsServedWithItsSecurityHeaders() {
        for (String path : List.of("/agent", "/agent/", "/agent/index.html")) {
            given().get(path).then().statusCode(200).contentType(containsString("text/html"))
                    .header("Cache-Control", "no-store").header("X-Frame-Options", "DENY")
                    .header("Content-Security-Policy", CSP).header("Referrer-Policy", "no-referrer")
                    .header("X-Content-Type-Options", "nosniff").body(containsString("Agent console"));
        }
        for (String path : List.of("/agent/agent.js", "/agent/agent.css")) {
            given().get(path).then().statusCode(200).header("X-Frame-Options", "DENY").header("Content-Security-Policy", CSP)
                    .header("X-Content-Type-Options", "nosniff").header("Cache-Control", "no-store");
        }
    }

    /** Against DNS rebinding: a page of another name that resolves to this machine must not drive the console. */
    @Test
    @Order(5)
    void theConsoleAnswersOnlyToALoopbackHostName() {
        for (String host : List.of("evil.example", "evil.example:" + RestAssured.port, "localhost.evil.example",
                "127.0.0.1.nip.io:" + RestAssured.port)) {
            for (String path : List.of("/agent", "/agent/index.html", "/agent/status")) {
                given().header("Host", host).get(path).then().statusCode(403)
                        .contentType(containsString("application/problem+json"))
                        .body("type", endsWith(":agent-console-host"), "status", equalTo(403));
            }
        }
        for (String host : List.of("127.0.0.1:" + RestAssured.port, "localhost:" + RestAssured.port, "[::1]:" + RestAssured.port,
                "LOCALHOST")) {
            given().header("Host", host).get("/agent/status").then().statusCode(200);
        }
    }

    @Test
    @Order(6)
    void chatServiceDownIs503AndTheSubscriptionComesBackWithIt() throws Exception {
        FakePlatform.stopChat();
        int subscriptions = FakePlatform.SUBSCRIPTIONS.size();
        given().get("/agent/conversations").then().statusCode(503)
                .contentType(containsString("application/problem+json")).body("detail", containsString("chat-service is unreachable"));
        given().contentType("application/json").body("{\"clientMessageId\":\"cm-down\",\"text\":\"hello?\"}")
                .post("/agent/conversations/" + FakePlatform.BANK_CONVERSATION + "/messages").then().statusCode(503)
                .contentType(containsString("application/problem+json")).body("detail", containsString("chat-service is unreachable"));
        await(() -> "reconnecting".equals(given().get("/agent/status").then().extract().path("upstream")),
                "the console shows that the inbox is reconnecting");

        FakePlatform.startChat();
        await(() -> given().get("/agent/conversations").statusCode() == 200, "chat-service is reachable again");
        await(() -> FakePlatform.SUBSCRIPTIONS.size() > subscriptions, "the inbox subscribes again once chat-service is back");
        InboxEvent after = FakePlatform.publish(FakePlatform.personText("conv-live", 5, "back"));
        await(() -> ((Number) given().get("/agent/status").then().extract().path("lastPosition")).longValue() == after.getPosition(),
                "events flow again");
    }

    /**
     * chat-service's inbox started over (a new database): the sandbox subscribes from the beginning, and tells open
     * browsers to reload and to accept positions from 1 again, which they would otherwise take for events they have.
     */
    @Test
    @Order(7)
    void whenTheInboxStartsOverTheBrowsersAreToldToResync() throws Exception {
        InboxEvent before = FakePlatform.publish(FakePlatform.personText("conv-live", 6, "before the reset"));
        await(() -> ((Number) given().get("/agent/status").then().extract().path("lastPosition")).longValue() == before.getPosition(),
                "the sandbox has processed the inbox so far");
        try (SseStream browser = consoleEvents(null)) {
            assertNotNull(next(browser, "status"));
            int subscriptions = FakePlatform.SUBSCRIPTIONS.size();
            FakePlatform.resetInbox();
            assertTrue(JSON.readTree(next(browser, "resync").data()).get("reason").asText().contains("started over"));
            await(() -> FakePlatform.SUBSCRIPTIONS.stream().skip(subscriptions)
                    .anyMatch(s -> s.request().getAfterPosition() == 0), "the sandbox subscribes from the beginning");
            InboxEvent first = FakePlatform.publish(FakePlatform.personText("conv-new", 1, "a new history"));
            assertEquals(1, first.getPosition());
            assertEquals(1, next(browser, "inbox").id());
        }
    }

    /** The console's event stream as the page's EventSource opens it; {@code lastEventId} null: live events only. */
    private static SseStream consoleEvents(Long lastEventId) {
        return SseStream.open("http://127.0.0.1:" + RestAssured.port + "/agent/events", null, lastEventId);
    }

    /** The next event of that name; events of other names before it are skipped. */
    private static SseStream.Event next(SseStream stream, String name) throws InterruptedException {
        List<SseStream.Event> read = stream.take(1, name, WAIT);
        return read.get(read.size() - 1);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("timed out: " + what);
    }

}
