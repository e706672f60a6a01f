package io.commercechat.chat;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.proto.common.v1.Money;
import io.commercechat.proto.partner.v1.Button;
import io.commercechat.proto.partner.v1.Buttons;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.proto.partner.v1.MarkReadRequest;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.Notice;
import io.commercechat.proto.partner.v1.QuickReplies;
import io.commercechat.proto.partner.v1.QuickReply;
import io.commercechat.proto.partner.v1.Receipt;
import io.commercechat.proto.partner.v1.ReceiptItem;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Whatever a client sends, the answer is a 4xx problem document (or INVALID_ARGUMENT), never a 500. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class BadInputTest extends ChatTestSupport {

    record Bad(String method, String path, String contentType, String body, int status) {}

    @Test
    void everyRestEndpointAnswersBadInputWithAProblem() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "m1", "hello").statusCode(201);
        String msgs = "/v1/conversations/" + c + "/messages";
        String json = "application/json";
        String huge = "{\"businessId\":\"" + "x".repeat(70_000) + "\"}";
        List<Bad> table = new ArrayList<>(List.of(
                // open a conversation
                new Bad("POST", "/v1/conversations", json, "{", 400),
                new Bad("POST", "/v1/conversations", json, "", 400),
                new Bad("POST", "/v1/conversations", json, "null", 400),
                new Bad("POST", "/v1/conversations", json, "[]", 400),
                new Bad("POST", "/v1/conversations", json, "\"demo-shop\"", 400),
                new Bad("POST", "/v1/conversations", json, "{}", 400),
                new Bad("POST", "/v1/conversations", json, "{\"businessId\":{\"a\":1}}", 400),
                new Bad("POST", "/v1/conversations", json, "{\"businessId\":\"Not Valid!\"}", 400),
                new Bad("POST", "/v1/conversations", json, "{\"businessId\":\"" + "a".repeat(65) + "\"}", 400),
                new Bad("POST", "/v1/conversations", json, "{\"businessId\":\"no-such-shop\"}", 404),
                new Bad("POST", "/v1/conversations", "text/plain", "demo-shop", 415),
                new Bad("POST", "/v1/conversations", json, huge, 413),
                new Bad("PATCH", "/v1/conversations", json, "{}", 405),
                // list
                new Bad("GET", "/v1/conversations?cursor=garbage", null, null, 400),
                new Bad("GET", "/v1/conversations?cursor=YzE6eHl6", null, null, 400),
                new Bad("GET", "/v1/conversations?limit=0", null, null, 400),
                new Bad("GET", "/v1/conversations?limit=101", null, null, 400),
                new Bad("GET", "/v1/conversations?limit=abc", null, null, 400),
                // businesses: a cursor of the right kind whose id or name could not have come from us
                new Bad("GET", "/v1/businesses?cursor=" + cursor("n1:a\u0000:b"), null, null, 400),
                new Bad("GET", "/v1/businesses?cursor=" + cursor("n1:demo-shop:Demo\u0000Shop"), null, null, 400),
                new Bad("GET", "/v1/businesses?cursor=" + cursor("n1:Demo Shop:demo-shop"), null, null, 400),
                new Bad("GET", "/v1/businesses?cursor=" + cursor("n1:demo-shop:" + "x".repeat(201)), null, null, 400),
                // one conversation
                new Bad("GET", "/v1/conversations/not-a-uuid", null, null, 400),
                new Bad("GET", "/v1/conversations/" + UUID.randomUUID(), null, null, 404),
                new Bad("GET", "/v1/conversations/" + "1".repeat(36), null, null, 400),
                // history
                new Bad("GET", msgs + "?before=-1", null, null, 400),
                new Bad("GET", msgs + "?before=abc", null, null, 400),
                new Bad("GET", msgs + "?after=99999999999999999999", null, null, 400),
                new Bad("GET", msgs + "?before=5&after=1", null, null, 400),
                new Bad("GET", msgs + "?limit=0", null, null, 400),
                new Bad("GET", msgs + "?limit=1000", null, null, 400),
                new Bad("GET", "/v1/conversations/x/messages", null, null, 400),
                // send
                new Bad("POST", msgs, json, "{", 400),
                new Bad("POST", msgs, json, "{\"text\":\"hi\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"\",\"text\":\"hi\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"has space\",\"text\":\"hi\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"caf\u00e9\",\"text\":\"hi\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"del\\u007f\",\"text\":\"hi\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"" + "a".repeat(65) + "\",\"text\":\"hi\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"a1\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"a1\",\"text\":\"   \"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"a1\",\"text\":\"" + "x".repeat(4001) + "\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"a1\",\"text\":[1,2]}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":[],\"text\":\"hi\"}", 400),
                // half of a surrogate pair (an emoji cut in two): refused, not stored as '?' and then failing the answer
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"s1\",\"text\":\"cut \\ud83d\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"s2\",\"text\":\"\\ude00 tail\"}", 400),
                new Bad("POST", msgs, json, "{\"clientMessageId\":\"s3\",\"text\":\"Yes\",\"payload\":\"ok\\ud83d\"}", 400),
                new Bad("POST", msgs, "application/xml", "<m/>", 415),
                new Bad("DELETE", msgs, null, null, 405),
                // read
                new Bad("POST", "/v1/conversations/" + c + "/read", json, "{}", 400),
                new Bad("POST", "/v1/conversations/" + c + "/read", json, "{\"seq\":0}", 400),
                new Bad("POST", "/v1/conversations/" + c + "/read", json, "{\"seq\":-4}", 400),
                new Bad("POST", "/v1/conversations/" + c + "/read", json, "{\"seq\":\"abc\"}", 400),
                new Bad("POST", "/v1/conversations/" + c + "/read", json, "{\"seq\":99999999999999999999999}", 400),
                new Bad("POST", "/v1/conversations/" + c + "/read", json, "{\"seq\":50}", 400),
                // typing
                new Bad("PUT", "/v1/conversations/" + c + "/typing", json, "{}", 400),
                new Bad("PUT", "/v1/conversations/" + c + "/typing", json, "{\"typing\":\"maybe\"}", 400),
                new Bad("PUT", "/v1/conversations/" + c + "/typing", json, "true", 400),
                new Bad("POST", "/v1/conversations/" + c + "/typing", json, "{\"typing\":true}", 405),
                // block
                new Bad("POST", "/v1/conversations/" + c + "/block", json, "{}", 405),
                new Bad("PUT", "/v1/conversations/nope/block", null, null, 400),
                // elsewhere
                new Bad("GET", "/v1/nothing-here", null, null, 404),
                new Bad("POST", "/v1/businesses", json, "{}", 405)));
        for (Bad bad : table) {
            var spec = given().auth().oauth2(ISSUER.person(me));
            if (bad.contentType() != null) {
                spec = spec.contentType(bad.contentType());
            }
            if (bad.body() != null) {
                spec = spec.body(bad.body());
            }
            var response = spec.request(bad.method(), bad.path());
            String what = bad.method() + " " + bad.path() + " " + (bad.body() == null ? "" : bad.body().substring(0,
                    Math.min(60, bad.body().length())));
            assertEquals(bad.status(), response.statusCode(), what + " -> " + response.asString());
            assertEquals("application/problem+json", response.contentType(), what + " -> " + response.asString());
            response.then()
                    .body("type", startsWith("https://commercechat.example/problems/"))
                    .body("status", org.hamcrest.Matchers.equalTo(bad.status()))
                    .body("detail", not(emptyOrNullString()));
        }
        // the refusal names the field and says what is wrong with it
        as(me).contentType(json).body("{\"clientMessageId\":\"s4\",\"text\":\"cut \\ud83d\"}").post(msgs).then()
                .statusCode(400).body("detail", containsString("field 'text' is not Unicode text"));
        // none of that changed the conversation
        as(me).get(msgs).then().statusCode(200).body("messages.seq", org.hamcrest.Matchers.equalTo(List.of(1)));
        // a whole pair is text like any other
        as(me).contentType(json).body("{\"clientMessageId\":\"s5\",\"text\":\"\\ud83d\\ude00\"}").post(msgs).then()
                .statusCode(201).body("content.text.body", org.hamcrest.Matchers.equalTo("\ud83d\ude00"));
        given().auth().oauth2(ISSUER.person(me)).accept("application/xml").get("/v1/businesses").then().statusCode(406);
    }

    /**
     * Query strings no HTTP client here would send, so they are written on a socket. Escapes that are not
     * percent-encoding are refused by Vert.x's HTTP codec before any of chat-service runs (a 400 without a body, as for
     * any malformed request line); escapes of bytes that are not UTF-8 reach the resource and get its problem.
     * Neither is ever a 500.
     */
    @Test
    void aQueryStringThatIsNotPercentEncodingIsRefused() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        Map<String, Boolean> reachesTheService = Map.of(
                "/v1/conversations?limit=%ZZ", false,
                "/v1/conversations/" + c + "/messages?before=%", false,
                "/v1/conversations?limit=%FF", true,
                "/v1/conversations?cursor=%C0%AF", true);
        for (var target : reachesTheService.entrySet()) {
            try (var socket = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET " + target.getKey() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                        + ISSUER.person(me) + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 400 "), target + " -> " + answer);
                if (target.getValue()) {
                    assertTrue(answer.contains("\"type\":\"https://commercechat.example/problems/invalid-request\""),
                            target + " -> " + answer);
                }
            }
        }
    }

    private static String cursor(String raw) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void openApiIsPublished() {
        var doc = given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/v1/conversations/{id}/messages"));
        // the POSTs that create answer 201 (and 200 for what already existed) with the same documented body
        String schema = ".content.'application/json'.schema.'$ref'";
        for (String code : List.of("201", "200")) {
            doc.body("paths.'/v1/conversations/{id}/messages'.post.responses.'" + code + "'" + schema,
                    org.hamcrest.Matchers.equalTo("#/components/schemas/MessageView"));
            doc.body("paths.'/v1/conversations'.post.responses.'" + code + "'" + schema,
                    org.hamcrest.Matchers.equalTo("#/components/schemas/ConversationView"));
        }
        doc.body("paths.'/v1/links'.post.responses.'201'" + schema, org.hamcrest.Matchers.equalTo("#/components/schemas/LinkStarted"));
    }

    @Test
    void everyRpcAnswersBadInputWithInvalidArgument() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "m1", "hello").statusCode(201);
        var shop = partner(SHOP);
        List<MessageContent> badContent = List.of(
                MessageContent.getDefaultInstance(),
                PartnerMessagingTest.text(""),
                PartnerMessagingTest.text("x".repeat(4001)),
                MessageContent.newBuilder().setNotice(Notice.newBuilder().setText("fake notice")).build(),
                MessageContent.newBuilder().setQuickReplies(QuickReplies.newBuilder().setBody("pick")).build(),
                MessageContent.newBuilder().setQuickReplies(QuickReplies.newBuilder().setBody("pick")
                        .addOptions(QuickReply.newBuilder().setLabel("x".repeat(41)).setPayload("p"))).build(),
                MessageContent.newBuilder().setButtons(Buttons.newBuilder().setBody("b")
                        .addButtons(Button.newBuilder().setLabel("go").setUrl("http://insecure.example"))).build(),
                MessageContent.newBuilder().setButtons(Buttons.newBuilder().setBody("b")
                        .addButtons(Button.newBuilder().setLabel("no action"))).build());
        for (MessageContent content : badContent) {
            assertStatus(Status.Code.INVALID_ARGUMENT, () -> shop.sendMessage(
                    SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("bad").setContent(content).build()));
        }
        MessageContent ok = PartnerMessagingTest.text("fine");
        List<Runnable> calls = List.of(
                () -> shop.sendMessage(SendMessageRequest.newBuilder().setConversationId("nope").setClientMessageId("a").setContent(ok).build()),
                () -> shop.sendMessage(SendMessageRequest.newBuilder().setClientMessageId("a").setContent(ok).build()),
                () -> shop.sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setContent(ok).build()),
                () -> shop.sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("x".repeat(65)).setContent(ok).build()),
                () -> shop.sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("tab\there").setContent(ok).build()),
                () -> shop.markRead(MarkReadRequest.newBuilder().setConversationId(c).setSeq(0).build()),
                () -> shop.markRead(MarkReadRequest.newBuilder().setConversationId(c).setSeq(7).build()),
                () -> shop.markRead(MarkReadRequest.newBuilder().setConversationId("").setSeq(1).build()),
                () -> shop.setTyping(SetTypingRequest.newBuilder().setConversationId("z").build()),
                () -> shop.listConversations(ListConversationsRequest.newBuilder().setPageSize(101).build()),
                () -> shop.listConversations(ListConversationsRequest.newBuilder().setPageSize(-1).build()),
                () -> shop.listConversations(ListConversationsRequest.newBuilder().setPageToken("%%%").build()),
                () -> shop.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setBeforeSeq(-1).build()),
                () -> shop.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setBeforeSeq(3).setAfterSeq(1).build()),
                () -> shop.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setPageSize(500).build()),
                () -> shop.subscribe(SubscribeRequest.newBuilder().setAfterPosition(-1).build()).next());
        for (Runnable call : calls) {
            assertStatus(Status.Code.INVALID_ARGUMENT, call);
        }
        // none of that was stored
        assertEquals(1, shop.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).build()).getMessagesCount());
    }

    /** A receipt a shop may not send, and what the refusal must name so that the shop can fix it. */
    record BadReceipt(Receipt.Builder receipt, String says) {}

    private static Money eur(long units, int nanos) {
        return Money.newBuilder().setCurrency("EUR").setUnits(units).setNanos(nanos).build();
    }

    private static ReceiptItem.Builder shoes() {
        return ReceiptItem.newBuilder().setDescription("Shoes").setQuantity(1).setUnitPrice(eur(5, 0));
    }

    /** A receipt the shop may send; each bad one below changes one thing of it. */
    private static Receipt.Builder goodReceipt(String orderNumber) {
        return Receipt.newBuilder().setOrderNumber(orderNumber).setMerchantName("Demo Shop").addItems(shoes())
                .setTotal(eur(5, 0));
    }

    /**
     * Receipts with amounts, currencies, items or times out of the contract's range are INVALID_ARGUMENT, saying which
     * field is wrong and why; none of them is written, nor takes its order number. The largest receipt the contract
     * allows is sent, and both sides read its amounts back exactly.
     */
    @Test
    void aReceiptOutOfRangeIsRefusedSayingWhatToFix() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "m1", "hello").statusCode(201);
        var shop = partner(SHOP);
        String order = "R-" + UUID.randomUUID();
        List<ReceiptItem.Builder> tooMany = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            tooMany.add(shoes());
        }
        List<BadReceipt> table = List.of(
                // money: sign, nanos range, the two of them together
                new BadReceipt(goodReceipt(order).setTotal(eur(-5, 0)), "content.receipt.total must not be negative"),
                new BadReceipt(goodReceipt(order).setTotal(eur(0, -1)), "content.receipt.total must not be negative"),
                new BadReceipt(goodReceipt(order).setTotal(eur(Long.MIN_VALUE, 0)), "content.receipt.total must not be negative"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, -500_000_000)), "content.receipt.total: units and nanos must have the same sign"),
                new BadReceipt(goodReceipt(order).setTotal(eur(-5, 500_000_000)), "content.receipt.total: units and nanos must have the same sign"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 1_000_000_000)), "content.receipt.total.nanos must be"),
                new BadReceipt(goodReceipt(order).setTotal(eur(-5, -1_000_000_000)), "content.receipt.total.nanos must be"),
                new BadReceipt(goodReceipt(order).setTotal(eur(0, Integer.MAX_VALUE)), "content.receipt.total.nanos must be"),
                new BadReceipt(goodReceipt(order).setTotal(eur(0, Integer.MIN_VALUE)), "content.receipt.total.nanos must be"),
                new BadReceipt(goodReceipt(order).clearTotal(), "content.receipt.total is required"),
                // currency
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().clearCurrency()), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().setCurrency("eur")), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().setCurrency("EU")), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().setCurrency("EURO")), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().setCurrency("€")), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().setCurrency("QQQ")), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setTotal(eur(5, 0).toBuilder().setCurrency("XXX")), "content.receipt.total.currency"),
                new BadReceipt(goodReceipt(order).setItems(0, shoes().setUnitPrice(eur(5, 0).toBuilder().setCurrency("USD"))),
                        "content.receipt.items[0].unit_price must be in EUR, the currency of the total"),
                // items: how many, which one is wrong, and what of it
                new BadReceipt(goodReceipt(order).clearItems(), "content.receipt.items must have 1 to 100 entries"),
                new BadReceipt(goodReceipt(order).clearItems().addAllItems(tooMany.stream().map(ReceiptItem.Builder::build).toList()),
                        "content.receipt.items must have 1 to 100 entries"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setUnitPrice(eur(-1, 0))), "content.receipt.items[1].unit_price must not be negative"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setUnitPrice(eur(1, -1))), "content.receipt.items[1].unit_price: units and nanos"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setUnitPrice(eur(1, 1_000_000_000))), "content.receipt.items[1].unit_price.nanos"),
                new BadReceipt(goodReceipt(order).addItems(shoes().clearUnitPrice()), "content.receipt.items[1].unit_price is required"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setDescription("x".repeat(201))), "content.receipt.items[1].description must be 1-200"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setDescription("")), "content.receipt.items[1].description must be 1-200"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setDescription("  ")), "content.receipt.items[1].description must be 1-200"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setQuantity(0)), "content.receipt.items[1].quantity must be between 1 and 10000"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setQuantity(-1)), "content.receipt.items[1].quantity must be between 1 and 10000"),
                new BadReceipt(goodReceipt(order).addItems(shoes().setQuantity(10_001)), "content.receipt.items[1].quantity must be between 1 and 10000"),
                // the rest of the receipt
                new BadReceipt(goodReceipt(order).setMerchantName(""), "content.receipt.merchant_name must be 1-200"),
                new BadReceipt(goodReceipt(order).setMerchantName("x".repeat(201)), "content.receipt.merchant_name must be 1-200"),
                new BadReceipt(goodReceipt(""), "content.receipt.order_number"),
                new BadReceipt(goodReceipt("A 1"), "content.receipt.order_number"),
                new BadReceipt(goodReceipt("x".repeat(65)), "content.receipt.order_number"),
                new BadReceipt(goodReceipt(order).setPaidAt(Timestamp.newBuilder().setSeconds(-1)), "content.receipt.paid_at"),
                new BadReceipt(goodReceipt(order).setPaidAt(Timestamp.newBuilder().setSeconds(253_402_300_800L)), "content.receipt.paid_at"),
                new BadReceipt(goodReceipt(order).setPaidAt(Timestamp.newBuilder().setSeconds(1).setNanos(1_000_000_000)), "content.receipt.paid_at"));
        List<String> wrong = new ArrayList<>();  // every case that fails, not only the first
        for (BadReceipt bad : table) {
            MessageContent content = MessageContent.newBuilder().setReceipt(bad.receipt()).build();
            try {
                var refused = assertStatus(Status.Code.INVALID_ARGUMENT, () -> shop.sendMessage(SendMessageRequest.newBuilder()
                        .setConversationId(c).setClientMessageId("bad-receipt").setContent(content).build()));
                String said = refused.getStatus().getDescription();
                assertTrue(said.contains(bad.says()), "told \"" + said + "\"");
            } catch (AssertionError e) {
                wrong.add("expected \"" + bad.says() + "\": " + e.getMessage());
            }
        }
        assertEquals(List.of(), wrong);
        // none of them was written, nor took the order number
        assertEquals(1, shop.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).build()).getMessagesCount());

        // the most the contract allows: every amount at its largest, 100 items of 200 characters, the longest names
        Money most = Money.newBuilder().setCurrency("EUR").setUnits(Long.MAX_VALUE).setNanos(999_999_999).build();
        Receipt.Builder largest = goodReceipt(order).setMerchantName("m".repeat(200)).clearItems().setTotal(most)
                .setPaidAt(Timestamp.newBuilder().setSeconds(253_402_300_799L).setNanos(999_999_999));
        for (int i = 0; i < 100; i++) {
            largest.addItems(ReceiptItem.newBuilder().setDescription("d".repeat(200)).setQuantity(10_000).setUnitPrice(most));
        }
        MessageContent sent = MessageContent.newBuilder().setReceipt(largest).build();
        var answer = shop.sendMessage(SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId("largest")
                .setContent(sent).build());
        assertEquals(sent, answer.getMessage().getContent());
        assertEquals(List.of(sent), shop.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).build()).getMessagesList()
                .stream().filter(m -> m.getClientMessageId().equals("largest")).map(m -> m.getContent()).toList());
        // the person's JSON carries the amounts exactly: int64 units as a string, as the protobuf JSON mapping has them
        as(me).get("/v1/conversations/" + c + "/messages").then().statusCode(200)
                .body("messages[0].content.receipt.total.units", org.hamcrest.Matchers.equalTo("9223372036854775807"))
                .body("messages[0].content.receipt.total.nanos", org.hamcrest.Matchers.equalTo(999_999_999))
                .body("messages[0].content.receipt.items", org.hamcrest.Matchers.hasSize(100))
                .body("messages[0].content.receipt.items[99].unitPrice.units", org.hamcrest.Matchers.equalTo("9223372036854775807"));
    }
}
