package io.commercechat.chat;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.common.v1.Money;
import io.commercechat.proto.partner.v1.Button;
import io.commercechat.proto.partner.v1.Buttons;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.proto.partner.v1.ListConversationsResponse;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.QuickReplies;
import io.commercechat.proto.partner.v1.QuickReply;
import io.commercechat.proto.partner.v1.Receipt;
import io.commercechat.proto.partner.v1.ReceiptItem;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.commercechat.proto.partner.v1.SenderKind;
import io.commercechat.proto.partner.v1.Text;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class PartnerMessagingTest extends ChatTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(10);

    static MessageContent text(String body) {
        return MessageContent.newBuilder().setText(Text.newBuilder().setBody(body)).build();
    }

    static SendMessageRequest.Builder sendReq(String c, String clientId, MessageContent content) {
        return SendMessageRequest.newBuilder().setConversationId(c).setClientMessageId(clientId).setContent(content);
    }

    static MessageContent receipt(String orderNumber, long units) {
        Money price = Money.newBuilder().setCurrency("EUR").setUnits(units).build();
        return MessageContent.newBuilder().setReceipt(Receipt.newBuilder().setOrderNumber(orderNumber)
                .setMerchantName("Demo Shop").addItems(ReceiptItem.newBuilder().setDescription("Shoes").setQuantity(1)
                        .setUnitPrice(price)).setTotal(price)).build();
    }

    @Test
    void subscribeResumesFromAPositionExactlyOnce() throws Exception {
        // a fresh business would be cleaner; the shop's inbox is shared by tests, so track positions
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p0", "start").statusCode(201);
        long start;
        try (InboxSubscriber all = InboxSubscriber.open(channel, ISSUER.partner(SHOP), 0)) {
            // the inbox holds at least the conversation_updated and the message just sent
            List<InboxEvent> history = new ArrayList<>();
            // up to the message just sent (a pause in the replay on a loaded machine is not its end)
            for (InboxEvent e; (e = all.next(Duration.ofSeconds(20))) != null;) {
                history.add(e);
                if (e.hasMessage() && e.getMessage().getConversationId().equals(c) && e.getMessage().getClientMessageId().equals("p0")) {
                    break;
                }
            }
            assertTrue(history.size() >= 2);
            for (int i = 0; i < history.size(); i++) {
                assertEquals(i + 1, history.get(i).getPosition(), "positions start at 1 with no gap");
            }
            start = history.get(history.size() - 1).getPosition();
            assertEquals("start", history.get(history.size() - 1).getMessage().getContent().getText().getBody());
        }

        List<InboxEvent> seen = new ArrayList<>();
        try (InboxSubscriber first = InboxSubscriber.open(channel, ISSUER.partner(SHOP), start)) {
            for (int i = 1; i <= 5; i++) {
                send(me, c, "p" + i, "message " + i).statusCode(201);
            }
            seen.addAll(first.take(2, WAIT));
        } // cut off mid-stream
        for (int i = 6; i <= 8; i++) {
            send(me, c, "p" + i, "message " + i).statusCode(201);
        }
        try (InboxSubscriber second = InboxSubscriber.open(channel, ISSUER.partner(SHOP), seen.get(seen.size() - 1).getPosition())) {
            seen.addAll(second.take(6, WAIT));
            assertEquals(null, second.next(Duration.ofMillis(1500)));
        }
        List<String> bodies = seen.stream().map(e -> e.getMessage().getContent().getText().getBody()).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            expected.add("message " + i);
        }
        assertEquals(expected, bodies);
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(start + 1 + i, seen.get(i).getPosition());
            assertEquals(SenderKind.SENDER_KIND_PERSON, seen.get(i).getMessage().getSender());
            assertTrue(seen.get(i).hasOccurredAt());
        }
    }

    /**
     * gRPC flow control reaches the database: a partner that takes one event and then reads nothing more is not sent
     * the rest of its inbox into the server's memory (Quarkus' stubs ask a stream's Multi for everything at once, and
     * the feed used to read batch after batch as fast as PostgreSQL answered). It gets all of it, in order, once it
     * reads again.
     */
    @Test
    void aSubscriberThatStopsReadingIsNotSentItsWholeInboxAtOnce() throws Exception {
        String me = newPerson();
        String c = open(me, SHOP);
        long start = inboxHead("b:" + SHOP);
        int count = 500;
        String body = "x".repeat(1000);
        for (int i = 0; i < count; i++) {
            send(me, c, "fc-" + i, i + " " + body).statusCode(201);
        }
        java.util.concurrent.BlockingQueue<InboxEvent> got = new java.util.concurrent.LinkedBlockingQueue<>();
        // a client that takes 64 KiB before it reads (grpc-java's default window is 1 MiB, and tuned upwards)
        io.grpc.ManagedChannel small = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", io.commercechat.testkit.GrpcCalls.testPort())
                .usePlaintext().flowControlWindow(64 * 1024).build();
        io.grpc.ClientCall<io.commercechat.proto.partner.v1.SubscribeRequest, io.commercechat.proto.partner.v1.SubscribeResponse> call =
                small.newCall(io.commercechat.proto.partner.v1.BusinessMessagingGrpc.getSubscribeMethod(),
                        io.grpc.CallOptions.DEFAULT.withCallCredentials(io.commercechat.testkit.GrpcCalls.bearer(ISSUER.partner(SHOP))));
        double before = emittedToStreams();
        call.start(new io.grpc.ClientCall.Listener<>() {
            @Override
            public void onMessage(io.commercechat.proto.partner.v1.SubscribeResponse message) {
                got.add(message.getEvent());
            }
        }, new io.grpc.Metadata());
        call.sendMessage(io.commercechat.proto.partner.v1.SubscribeRequest.newBuilder().setAfterPosition(start).build());
        call.halfClose();
        call.request(1);
        try {
            InboxEvent first = got.poll(10, TimeUnit.SECONDS);
            assertEquals(start + 1, first.getPosition());
            assertEquals("fc-0", first.getMessage().getClientMessageId());
            Thread.sleep(3000);
            double sent = emittedToStreams() - before;
            // what the transport took (HTTP/2 windows of 64 KiB on both sides) and a batch (200) or two read before
            // it was full: not the whole inbox
            assertTrue(sent >= 1 && sent <= 400, "events emitted to a stream that took one: " + sent);
            call.request(Integer.MAX_VALUE);
            List<InboxEvent> all = new ArrayList<>();
            all.add(null);  // the first, taken above
            for (InboxEvent e; (e = got.poll(10, TimeUnit.SECONDS)) != null;) {
                all.add(e);
                if (e.hasMessage() && e.getMessage().getClientMessageId().equals("fc-" + (count - 1))) {
                    break;
                }
            }
            List<String> mine = new ArrayList<>();
            for (int i = 1; i < all.size(); i++) {
                assertEquals(start + 1 + i, all.get(i).getPosition(), "gapless, in order");
                if (all.get(i).hasMessage() && all.get(i).getMessage().getConversationId().equals(c)) {
                    mine.add(all.get(i).getMessage().getClientMessageId());
                }
            }
            List<String> expected = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                expected.add("fc-" + i);
            }
            assertEquals(expected, mine, "every event arrives once the partner reads again");
        } finally {
            call.cancel("done", null);
            small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** A Subscribe stream ends with UNAUTHENTICATED when the token it was opened with is no longer accepted. */
    @Test
    void aSubscribeStreamEndsWhenItsTokenIsNoLongerAccepted() throws Exception {
        // expired 24 s ago: accepted for 6 s more (the verifier allows 30 s of clock skew)
        String token = ISSUER.partnerUntil(SHOP, java.time.Instant.now().minusSeconds(24));
        double open = EventStreamTest.openStreams();
        try (InboxSubscriber stream = InboxSubscriber.open(channel, token, inboxHead("b:" + SHOP))) {
            Throwable end = stream.error(Duration.ofSeconds(25));
            assertTrue(end instanceof StatusRuntimeException, String.valueOf(end));
            Status status = ((StatusRuntimeException) end).getStatus();
            assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
            assertTrue(status.getDescription().contains("subscribe again with a new token"), status.getDescription());
            EventStreamTest.awaitOpenStreams(open);  // the feed behind it was cancelled too
        }
    }

    /** A position the business's inbox has not reached is refused, not followed in silence until the inbox gets there. */
    @Test
    void subscribeFromBeyondTheInboxsEndIsRefused() throws Exception {
        long end = inboxHead("b:" + SHOP);
        try (InboxSubscriber beyond = InboxSubscriber.open(channel, ISSUER.partner(SHOP), end + 100)) {
            Status status = Status.fromThrowable(beyond.error(WAIT));
            assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
            assertTrue(status.getDescription().contains("beyond the last event of your inbox"), status.getDescription());
        }
    }

    /**
     * A business holds at most chat.streams-per-business Subscribe streams on a replica (4 in tests); the next fails
     * with RESOURCE_EXHAUSTED, and a closed stream frees its place. Another business is not affected.
     */
    @Test
    void aBusinessesOpenSubscribeStreamsAreLimited() throws Exception {
        String business = "limited-shop-" + UUID.randomUUID().toString().substring(0, 8);
        update("INSERT INTO businesses (id, display_name, kind) VALUES (?, 'Limited Shop', 'SHOP')", business);
        String token = ISSUER.partner(business);
        List<InboxSubscriber> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                streams.add(InboxSubscriber.open(channel, token, 0));
            }
            // all four are admitted: a conversation opened now reaches each of them
            String me = newPerson();
            open(me, business);
            for (InboxSubscriber s : streams) {
                assertTrue(s.take(1, WAIT).get(0).hasConversationUpdated());
            }
            try (InboxSubscriber fifth = InboxSubscriber.open(channel, token, 0)) {
                Status status = Status.fromThrowable(fifth.error(WAIT));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
                assertTrue(status.getDescription().contains("4 event streams open"), status.getDescription());
            }
            try (InboxSubscriber shops = InboxSubscriber.open(channel, ISSUER.partner(SHOP), inboxHead("b:" + SHOP))) {
                // another business's stream is admitted: it gets what happens next in that business's inbox
                open(newPerson(), SHOP);
                assertTrue(shops.take(1, WAIT).get(0).hasConversationUpdated(), "another business's stream is admitted");
            }
            streams.remove(0).close();
            long deadline = System.nanoTime() + WAIT.toNanos();
            boolean admitted = false;
            while (!admitted && System.nanoTime() < deadline) {
                try (InboxSubscriber again = InboxSubscriber.open(channel, token, 0)) {
                    admitted = again.next(Duration.ofSeconds(2)) != null;  // the replay's first event
                }
            }
            assertTrue(admitted, "a closed stream's place is free again");
        } finally {
            streams.forEach(InboxSubscriber::close);
        }
    }

    /** The metric of the events this replica's streams have emitted. */
    private static double emittedToStreams() {
        String metrics = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("chat_inbox_stream_events_total")).mapToDouble(l ->
                Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    }

    @Test
    void sendsStructuredMessagesIdempotently() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hi").statusCode(201);
        MessageContent quick = MessageContent.newBuilder().setQuickReplies(QuickReplies.newBuilder().setBody("Size?")
                .addOptions(QuickReply.newBuilder().setLabel("42").setPayload("SIZE_42"))).build();
        MessageContent buttons = MessageContent.newBuilder().setButtons(Buttons.newBuilder().setBody("Track it")
                .addButtons(Button.newBuilder().setLabel("Open").setUrl("https://shop.example/track/1"))
                .addButtons(Button.newBuilder().setLabel("Cancel").setPostbackPayload("CANCEL_1"))).build();
        SendMessageResponse q = partner(SHOP).sendMessage(sendReq(c, "q1", quick).build());
        assertEquals(2, q.getMessage().getSeq());
        assertEquals(quick, q.getMessage().getContent());
        SendMessageResponse again = partner(SHOP).sendMessage(sendReq(c, "q1", quick).build());
        assertTrue(again.getDuplicate());
        assertEquals(q.getMessage(), again.getMessage());
        assertStatus(Status.Code.ALREADY_EXISTS, () -> partner(SHOP).sendMessage(sendReq(c, "q1", buttons).build()));
        assertEquals(3, partner(SHOP).sendMessage(sendReq(c, "b1", buttons).build()).getMessage().getSeq());

        String order = "ORD-" + UUID.randomUUID().toString().substring(0, 8);
        assertEquals(4, partner(SHOP).sendMessage(sendReq(c, "r1", receipt(order, 50)).build()).getMessage().getSeq());
        assertTrue(partner(SHOP).sendMessage(sendReq(c, "r1", receipt(order, 50)).build()).getDuplicate());
        // the order number is the shop's: another message, or another conversation, may not reuse it
        var e = assertStatus(Status.Code.ALREADY_EXISTS, () -> partner(SHOP).sendMessage(sendReq(c, "r2", receipt(order, 60)).build()));
        assertTrue(e.getStatus().getDescription().contains(order));
        String other = open(newPerson(), SHOP);
        update("UPDATE conversations SET person_last_message_at = now() WHERE id = ?::uuid", other);
        assertStatus(Status.Code.ALREADY_EXISTS, () -> partner(SHOP).sendMessage(sendReq(other, "r1", receipt(order, 50)).build()));
        // the failed sends used no seq
        assertEquals(5, partner(SHOP).sendMessage(sendReq(c, "t1", text("thanks")).build()).getMessage().getSeq());
        // a bank cannot send receipts
        String bankConversation = open(me, BANK);
        send(me, bankConversation, "p1", "hi").statusCode(201);
        assertStatus(Status.Code.INVALID_ARGUMENT,
                () -> partner(BANK).sendMessage(sendReq(bankConversation, "r1", receipt("X-1", 1)).build()));
    }

    /**
     * A reply to a quick reply is the label the person saw, as their text, with the option's payload beside it: a
     * business whose payload says something else cannot put those words in the person's mouth, and still gets its value.
     */
    @Test
    void aQuickReplyAnswerIsTheLabelThePersonSawWithThePayloadBeside() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hi").statusCode(201);
        partner(SHOP).sendMessage(sendReq(c, "q1", MessageContent.newBuilder().setQuickReplies(QuickReplies.newBuilder()
                .setBody("Accept the new terms?").addOptions(QuickReply.newBuilder().setLabel("No thanks")
                        .setPayload("I accept the new terms"))).build()).build());
        as(me).contentType("application/json")
                .body(Map.of("clientMessageId", "p2", "text", "No thanks", "payload", "I accept the new terms"))
                .post("/v1/conversations/" + c + "/messages").then().statusCode(201)
                .body("content.text.body", equalTo("No thanks"))
                .body("content.text.payload", equalTo("I accept the new terms"));
        var reply = partner(SHOP).getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setPageSize(1).build())
                .getMessages(0).getContent().getText();
        assertEquals("No thanks", reply.getBody());
        assertEquals("I accept the new terms", reply.getPayload());
        // typed text has none
        send(me, c, "p3", "thanks").statusCode(201).body("content.text.payload", org.hamcrest.Matchers.nullValue());
        // a payload is bounded like the options', and only a person's reply carries one
        as(me).contentType("application/json").body(Map.of("clientMessageId", "p4", "text", "x", "payload", "y".repeat(201)))
                .post("/v1/conversations/" + c + "/messages").then().statusCode(400).contentType("application/problem+json");
        var refused = assertStatus(Status.Code.INVALID_ARGUMENT, () -> partner(SHOP).sendMessage(sendReq(c, "t1",
                MessageContent.newBuilder().setText(io.commercechat.proto.partner.v1.Text.newBuilder().setBody("hello")
                        .setPayload("x")).build()).build()));
        assertTrue(refused.getStatus().getDescription().contains("payload"), refused.getStatus().getDescription());
    }

    @Test
    void oneOrderNumberSentAtOnceInManyConversationsIsTakenOnce() throws Exception {
        int n = 8;
        List<String> conversations = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String person = newPerson();
            String c = open(person, SHOP);
            send(person, c, "p1", "hi").statusCode(201);
            conversations.add(c);
        }
        String order = "ORD-" + UUID.randomUUID().toString().substring(0, 8);
        var start = new CountDownLatch(1);
        var pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Status.Code>> results = new ArrayList<>();
            for (String c : conversations) {
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        partner(SHOP).sendMessage(sendReq(c, "r1", receipt(order, 50)).build());
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        assertTrue(e.getStatus().getDescription().contains(order), e.getStatus().toString());
                        return e.getStatus().getCode();
                    }
                }));
            }
            start.countDown();
            List<Status.Code> codes = new ArrayList<>();
            for (var r : results) {
                codes.add(r.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1, codes.stream().filter(Status.Code.OK::equals).count(), codes.toString());
            assertEquals(n - 1, codes.stream().filter(Status.Code.ALREADY_EXISTS::equals).count(), codes.toString());
        } finally {
            pool.shutdownNow();
        }
        // exactly one receipt exists, and the refused sends left no message behind
        long receipts = conversations.stream().mapToLong(c -> partner(SHOP)
                .getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setPageSize(10).build())
                .getMessagesList().stream().filter(m -> m.getContent().hasReceipt()).count()).sum();
        assertEquals(1, receipts);
    }

    @Test
    void twentyFourHourRuleNeedsAnUpdateTag() {
        String me = newPerson();
        String c = open(me, SHOP);
        // the person never wrote: outside the window
        var e = assertStatus(Status.Code.FAILED_PRECONDITION, () -> partner(SHOP).sendMessage(sendReq(c, "x1", text("Sale!")).build()));
        assertTrue(e.getStatus().getDescription().contains("update_tag"), e.getStatus().getDescription());
        send(me, c, "p1", "hi").statusCode(201);
        assertEquals(2, partner(SHOP).sendMessage(sendReq(c, "x1", text("Hello")).build()).getMessage().getSeq());

        update("UPDATE conversations SET person_last_message_at = now() - interval '25 hours' WHERE id = ?::uuid", c);
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> partner(SHOP).sendMessage(sendReq(c, "x2", text("Hello again")).build()));
        var tagged = partner(SHOP).sendMessage(sendReq(c, "x2", text("Your parcel shipped"))
                .setUpdateTag(UpdateTag.UPDATE_TAG_POST_PURCHASE_UPDATE).build());
        assertEquals(UpdateTag.UPDATE_TAG_POST_PURCHASE_UPDATE, tagged.getMessage().getUpdateTag());
        // a human agent may answer within 7 days, not later
        assertEquals(4, partner(SHOP).sendMessage(sendReq(c, "x3", text("An agent here"))
                .setUpdateTag(UpdateTag.UPDATE_TAG_HUMAN_AGENT).build()).getMessage().getSeq());
        update("UPDATE conversations SET person_last_message_at = now() - interval '8 days' WHERE id = ?::uuid", c);
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> partner(SHOP).sendMessage(sendReq(c, "x4", text("Late agent"))
                .setUpdateTag(UpdateTag.UPDATE_TAG_HUMAN_AGENT).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> partner(SHOP).sendMessage(sendReq(c, "x5", text("?"))
                .setUpdateTagValue(99).build()));
    }

    @Test
    void blockedBusinessCannotWriteOrType() {
        String me = newPerson();
        String c = open(me, SHOP);
        send(me, c, "p1", "hi").statusCode(201);
        as(me).put("/v1/conversations/" + c + "/block").then().statusCode(200);
        var e = assertStatus(Status.Code.FAILED_PRECONDITION, () -> partner(SHOP).sendMessage(sendReq(c, "s1", text("hello?")).build()));
        assertTrue(e.getStatus().getDescription().contains("blocked"));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> partner(SHOP).setTyping(
                io.commercechat.proto.partner.v1.SetTypingRequest.newBuilder().setConversationId(c).setTyping(true).build()));
        assertTrue(conversation(c).getBlocked());
        as(me).delete("/v1/conversations/" + c + "/block").then().statusCode(200);
        assertEquals(2, partner(SHOP).sendMessage(sendReq(c, "s1", text("hello")).build()).getMessage().getSeq());
    }

    @Test
    void businessNeverSeesPersonOnlyMessages() {
        String me = newPerson();
        String c = open(me, BANK);
        send(me, c, "p1", "show my balance").statusCode(201);
        // an account card the assistant showed to the person only (seq 2)
        update("INSERT INTO messages (id, conversation_id, seq, sender, client_message_id, kind, content, visibility, sent_at)"
                + " VALUES (gen_random_uuid(), ?::uuid, 2, 'ASSISTANT', 'card-1', 'ACCOUNT_CARD',"
                + " '{\"accountCard\":{\"cardId\":\"k1\",\"title\":\"Balance\"}}', 'PERSON_ONLY', now())", c);
        update("UPDATE conversations SET last_seq = 2 WHERE id = ?::uuid", c);
        send(me, c, "p3", "thanks").statusCode(201).body("seq", equalTo(3));

        List<Long> seqs = partner(BANK).getHistory(GetHistoryRequest.newBuilder().setConversationId(c).build())
                .getMessagesList().stream().map(m -> m.getSeq()).toList();
        assertEquals(List.of(3L, 1L), seqs);
        as(me).get("/v1/conversations/" + c + "/messages").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(3, 2, 1)))
                .body("messages[1].personOnly", equalTo(true))
                .body("messages[1].automated", equalTo(true));
        assertEquals(2, conversation(c).getUnreadCount(), "unread counts only what the business can see");
        var forward = partner(BANK).getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setAfterSeq(1).setPageSize(1).build());
        assertEquals(3, forward.getMessages(0).getSeq());
        assertFalse(forward.getHasMore());
        // after_seq 0, set: from the first message the bank may see, oldest first; unset: the newest page
        var fromStart = partner(BANK).getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setAfterSeq(0).build());
        assertEquals(List.of(1L, 3L), fromStart.getMessagesList().stream().map(m -> m.getSeq()).toList());
        assertStatus(io.grpc.Status.Code.INVALID_ARGUMENT, () -> partner(BANK).getHistory(GetHistoryRequest.newBuilder()
                .setConversationId(c).setBeforeSeq(3).setAfterSeq(0).build()));
    }

    @Test
    void listConversationsPagesMostRecentFirst() {
        String business = SHOP;
        List<String> mine = new ArrayList<>();
        List<String> people = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String person = newPerson();
            String c = open(person, business);
            send(person, c, "p", "hello " + i).statusCode(201);
            mine.add(c);
            people.add(person);
        }
        ListConversationsResponse first = partner(business).listConversations(ListConversationsRequest.newBuilder().setPageSize(2).build());
        assertEquals(List.of(mine.get(2), mine.get(1)), first.getConversationsList().stream().map(x -> x.getId()).toList());
        ListConversationsResponse second = partner(business).listConversations(ListConversationsRequest.newBuilder().setPageSize(2)
                .setPageToken(first.getNextPageToken()).build());
        assertEquals(mine.get(0), second.getConversations(0).getId());
        Set<String> ids = new HashSet<>();
        first.getConversationsList().forEach(x -> ids.add(x.getId()));
        second.getConversationsList().forEach(x -> ids.add(x.getId()));
        assertEquals(4, ids.size(), "no conversation twice across pages");

        // the token does not carry the platform-wide activity number the list is ordered by, in any readable form
        long activity = queryLong("SELECT activity_seq FROM conversations WHERE id = ?::uuid", mine.get(1));
        String token = first.getNextPageToken();
        String decoded = new String(java.util.Base64.getUrlDecoder().decode(token), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(token.contains(Long.toString(activity)) || decoded.contains(Long.toString(activity)), token);
        assertFalse(decoded.contains(new String(java.nio.ByteBuffer.allocate(8).putLong(activity).array(),
                java.nio.charset.StandardCharsets.ISO_8859_1)), "not as 8 bytes either");
        // another business cannot use it, and a changed token is no token
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> partner(BANK).listConversations(ListConversationsRequest.newBuilder()
                .setPageToken(token).build()));
        char last = token.charAt(token.length() - 2);
        String changed = token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> partner(business).listConversations(ListConversationsRequest.newBuilder()
                .setPageToken(changed).build()));

        // a new message moves its conversation to the top (the business's order is kept apart from the row, V16)
        send(people.get(0), mine.get(0), "again", "hello again").statusCode(201);
        assertEquals(List.of(mine.get(0), mine.get(2)), partner(business).listConversations(ListConversationsRequest.newBuilder()
                .setPageSize(2).build()).getConversationsList().stream().map(x -> x.getId()).toList());
    }

    private io.commercechat.proto.partner.v1.Conversation conversation(String id) {
        String token = "";
        while (true) {
            var page = partner(id.isEmpty() ? SHOP : businessOf(id)).listConversations(
                    ListConversationsRequest.newBuilder().setPageSize(100).setPageToken(token).build());
            for (var c : page.getConversationsList()) {
                if (c.getId().equals(id)) {
                    return c;
                }
            }
            if (page.getNextPageToken().isEmpty()) {
                throw new AssertionError("conversation " + id + " not listed");
            }
            token = page.getNextPageToken();
        }
    }

    private String businessOf(String conversationId) {
        try {
            partner(SHOP).getHistory(GetHistoryRequest.newBuilder().setConversationId(conversationId).setPageSize(1).build());
            return SHOP;
        } catch (StatusRuntimeException notTheShop) {
            return BANK;
        }
    }
}
