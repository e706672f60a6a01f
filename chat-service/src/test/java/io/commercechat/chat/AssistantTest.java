package io.commercechat.chat;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.chat.client.AccountLinkClient;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.GetBalancesResponse;
import io.commercechat.proto.accounts.v1.MutinyAccountServiceGrpc;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.Message;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.SseStream;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/** The assistant in bank conversations, over the real mesh (see {@link MeshResource}). */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class AssistantTest extends BankFlowSupport {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @GrpcClient("account-link")
    MutinyAccountServiceGrpc.MutinyAccountServiceStub accountLinkStub;

    @Inject
    ChatConfig config;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> history(String sub, String c) {
        return as(sub).queryParam("limit", 100).get("/v1/conversations/" + c + "/messages").then().statusCode(200)
                .extract().jsonPath().getList("messages");
    }

    /** Waits until the person's history has {@code count} messages matching; returns them (newest first). */
    private static List<Map<String, Object>> awaitMessages(String sub, String c, int count, Predicate<Map<String, Object>> which)
            throws InterruptedException {
        return awaitMessages(sub, c, count, which, WAIT);
    }

    private static List<Map<String, Object>> awaitMessages(String sub, String c, int count, Predicate<Map<String, Object>> which,
            Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        List<Map<String, Object>> found = List.of();
        while (System.nanoTime() < end) {
            found = history(sub, c).stream().filter(which).toList();
            if (found.size() >= count) {
                return found;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("expected " + count + " matching messages, found " + found + " in " + history(sub, c));
    }

    private static Predicate<Map<String, Object>> kind(String kind) {
        return m -> kind.equals(m.get("kind"));
    }

    private List<Message> bankHistory(String c) {
        return partner(BANK).getHistory(GetHistoryRequest.newBuilder().setConversationId(c).setPageSize(100).build())
                .getMessagesList();
    }

    private static String baseUrl() {
        return "http://127.0.0.1:" + GrpcCalls.testPort();
    }

    @Test
    void cardsArePersonOnlyUntilSharedAndRemovedWhenAccessEnds() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        // nothing linked yet: the answer points to the link flow
        send(me, c, "q0", "Show balance").statusCode(201);
        Map<String, Object> offer = awaitMessages(me, c, 1, kind("BUTTONS")).get(0);
        assertEquals("ASSISTANT", offer.get("sender"));
        assertEquals(true, offer.get("automated"));
        assertTrue(offer.toString().contains("#/link?bank=sandbox-bank"), offer.toString());

        // with account details, so that the cards name the account by its masked number too
        JsonPath link = linkAccountToShare(me, "ACCOUNTS_DETAIL");
        String consentId = link.getString("consentId");
        // one card per account (at most three): each comes after its own read, so wait for all before counting
        int perAnswer = Math.min(3, link.getList("accounts").size());
        // as the web client answers a quick reply: its label as the text, its payload beside (what the assistant reads)
        as(me).contentType("application/json").body(Map.of("clientMessageId", "q1", "text", "Balances, please",
                "payload", "assistant:show-balance")).post("/v1/conversations/" + c + "/messages").then().statusCode(201);
        List<Map<String, Object>> cards = awaitMessages(me, c, perAnswer, kind("ACCOUNT_CARD"));
        Map<String, Object> card = cards.get(0);
        assertEquals(true, card.get("personOnly"));
        assertEquals(true, card.get("automated"));
        Map<?, ?> content = (Map<?, ?>) ((Map<?, ?>) card.get("content")).get("accountCard");
        assertEquals("Balance", content.get("title"));
        assertFalse(((List<?>) content.get("lines")).isEmpty());
        assertTrue(content.get("maskedNumber").toString().matches("•••• \\S{4}"), content.toString());

        send(me, c, "q2", "Recent transactions").statusCode(201);
        awaitMessages(me, c, perAnswer, m -> kind("ACCOUNT_CARD").test(m) && m.toString().contains("Recent transactions"));

        // the bank sees the person's requests, never the cards
        List<Message> seen = bankHistory(c);
        assertTrue(seen.stream().noneMatch(m -> m.getContent().hasAccountCard()), "no card reaches the bank unshared");
        assertTrue(seen.stream().anyMatch(m -> m.getContent().getText().getBody().equals("Recent transactions")));
        // another person cannot see or share it
        String other = newPerson();
        as(other).get("/v1/conversations/" + c + "/messages").then().statusCode(404);
        as(other).post("/v1/conversations/" + c + "/messages/" + card.get("id") + "/share").then().statusCode(404)
                .contentType("application/problem+json");

        // shared with the bank: now the bank sees that one card
        as(me).post("/v1/conversations/" + c + "/messages/" + card.get("id") + "/share").then().statusCode(200)
                .body("personOnly", equalTo(false)).body("id", equalTo(card.get("id")));
        as(me).post("/v1/conversations/" + c + "/messages/" + card.get("id") + "/share").then().statusCode(200);
        List<Message> afterShare = bankHistory(c);
        assertEquals(1, afterShare.stream().filter(m -> m.getContent().hasAccountCard()).count());
        assertEquals(card.get("id"), afterShare.stream().filter(m -> m.getContent().hasAccountCard()).findFirst().orElseThrow().getId());
        // a message that is not a card cannot be shared
        String text = history(me, c).stream().filter(m -> "PERSON".equals(m.get("sender"))).findFirst().orElseThrow().get("id").toString();
        as(me).post("/v1/conversations/" + c + "/messages/" + text + "/share").then().statusCode(409);

        // revoke: every card of that consent is replaced, live on the person's stream (one card a transaction
        // here: MeshResource)
        long cardCount = history(me, c).stream().filter(kind("ACCOUNT_CARD")).count();
        assertEquals(2L * perAnswer, cardCount, "a balance and a transactions card per account");
        try (SseStream sse = SseStream.personEvents(baseUrl(), ISSUER.person(me), null)) {
            as(me).post("/v1/consents/" + consentId + "/revoke").then().statusCode(200);
            List<SseStream.Event> redacted = sse.take((int) cardCount, "redacted", WAIT).stream()
                    .filter(e -> e.name().equals("redacted")).toList();
            for (SseStream.Event e : redacted) {
                JsonPath r = JsonPath.from(e.data());
                assertEquals(c, r.getString("conversationId"));
                assertTrue(r.getString("replacement.notice.text").contains("access to Sandbox Bank ended"), e.data());
            }
        }
        assertEquals(0, history(me, c).stream().filter(kind("ACCOUNT_CARD")).count());
        assertEquals(cardCount, history(me, c).stream().filter(m -> m.toString().contains("This card was removed")).count());
        // the bank's copy of the shared card is gone too
        Message sharedNow = bankHistory(c).stream().filter(m -> m.getId().equals(card.get("id"))).findFirst().orElseThrow();
        assertTrue(sharedNow.getContent().hasNotice(), sharedNow.toString());
        // and a replay of the whole inbox (a new device, Last-Event-ID 0) shows the notices, never the bank data
        try (SseStream replay = SseStream.personEvents(baseUrl(), ISSUER.person(me), 0L)) {
            List<SseStream.Event> all = replay.take((int) cardCount, "redacted", WAIT);
            List<SseStream.Event> cardEvents = all.stream()
                    .filter(e -> e.name().equals("message") && e.data().contains("This card was removed")).toList();
            // each card was announced when posted, and the shared one again when shared
            assertEquals(cardCount + 1, cardEvents.size(), all.toString());
            assertTrue(all.stream().noneMatch(e -> e.data().contains("accountCard") || e.data().contains("••••")), all.toString());
        }
    }

    /**
     * Requests beyond the answers a replica works on at once (64) are told to ask again instead of adding more calls to
     * a slow bank, and once the answers under way are done the assistant answers as before.
     */
    @Test
    void requestsBeyondTheAnswersUnderWayAreToldToAskAgain() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        linkAccount(me);
        int asked = 80;
        ExecutorService senders = Executors.newFixedThreadPool(16);
        try {
            // each answer waits for the bank (1.5 s a read; its deadline here is 2 s) while the others are asked
            sandboxFaults("{\"rpc\":\"GetBalances\",\"latencyMillis\":1500}");
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < asked; i++) {
                String clientId = "burst-" + i;
                sent.add(senders.submit(() -> send(me, c, clientId, "Show balance").statusCode(201)));
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
            awaitMessages(me, c, 1, m -> m.toString().contains("I'm answering many requests right now"));
        } finally {
            sandboxFaults(null);
            senders.shutdownNow();
        }
        // the answers under way finish (nothing more arrives for 3 s), then a request is answered
        long before = -1;
        for (long end = System.nanoTime() + WAIT.toNanos(); System.nanoTime() < end; Thread.sleep(3000)) {
            long last = history(me, c).stream().mapToLong(m -> ((Number) m.get("seq")).longValue()).max().orElse(0);
            if (last == before) {
                break;
            }
            before = last;
        }
        Predicate<Map<String, Object>> menu = m -> m.toString().contains("What would you like to do?");
        send(me, c, "after-burst", "Menu").statusCode(201);
        awaitMessages(me, c, 1, menu);
    }

    /**
     * The consent event stream's connection goes silent without closing (a cut network, a node gone): chat-service
     * finds it dead by its keep-alive pings, follows again on a new connection from where it was, and the cards of a
     * consent that ended meanwhile are still replaced. Before, the stream waited on the dead connection (for hours,
     * until the kernel gave up on it) while the replica kept its lease, and no card was replaced.
     */
    @Test
    void cardsAreReplacedEvenWhenTheConsentEventStreamsConnectionWentSilent() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        JsonPath link = linkAccount(me);
        int cards = Math.min(3, link.getList("accounts").size());  // one per account, each after its own read
        send(me, c, "b1", "Show balance").statusCode(201);
        awaitMessages(me, c, cards, kind("ACCOUNT_CARD"));
        MeshResource.consentRelay.silenceOpenConnections();
        // ended through account-link-service (its own connection to consent-service): chat-service's is silent
        as(me).delete("/v1/links/" + link.getString("id")).then().statusCode(200);
        // found dead after 10 s without an answer to a ping and 2 s more (MeshResource), then followed again
        awaitMessages(me, c, cards, m -> m.toString().contains("This card was removed"), Duration.ofSeconds(40));
        assertEquals(0, history(me, c).stream().filter(kind("ACCOUNT_CARD")).count());
    }

    /**
     * The person's request commits only after its sender was told it could not be confirmed (503 send-unconfirmed: here
     * a trigger holds the insert past the test's 6 s send deadline). The client's retry with the same clientMessageId
     * is answered with that first message, and the assistant answers it then, once: later retries add nothing. Before,
     * only a first send was answered, so such a request never was.
     */
    @Test
    void aRequestFirstUnconfirmedIsAnsweredOnItsRetryAndOnlyOnce() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        int cards = Math.min(3, linkAccount(me).getList("accounts").size());
        Predicate<Map<String, Object>> assistant = m -> "ASSISTANT".equals(m.get("sender"));
        long saidBefore = history(me, c).stream().filter(assistant).count();
        try (Connection db = database(); var st = db.createStatement()) {
            st.execute("CREATE FUNCTION slow_request() RETURNS trigger LANGUAGE plpgsql AS $$"
                    + " BEGIN PERFORM pg_sleep(7); RETURN NEW; END $$");
            st.execute("CREATE TRIGGER slow_request BEFORE INSERT ON messages FOR EACH ROW"
                    + " WHEN (NEW.client_message_id = 'slow-q') EXECUTE FUNCTION slow_request()");
            try {
                send(me, c, "slow-q", "Show balance").statusCode(503)
                        .body("type", equalTo("https://commercechat.example/problems/send-unconfirmed"));
            } finally {
                st.execute("DROP TRIGGER slow_request ON messages");
                st.execute("DROP FUNCTION slow_request()");
            }
        }
        awaitDb("the request committed after all", "SELECT count(*) FROM messages WHERE conversation_id = '" + c
                + "' AND client_message_id = 'slow-q'");
        send(me, c, "slow-q", "Show balance").statusCode(200);
        awaitMessages(me, c, cards, kind("ACCOUNT_CARD"));
        send(me, c, "slow-q", "Show balance").statusCode(200);
        Thread.sleep(3000);  // a second answer would have come by now (the first took well under a second here)
        List<Map<String, Object>> all = history(me, c);
        assertEquals(cards, all.stream().filter(kind("ACCOUNT_CARD")).count(), all.toString());
        assertEquals(saidBefore + cards, all.stream().filter(assistant).count(), all.toString());
    }

    /**
     * The read behind a card was allowed and answered, but the card is written only after the consent ended and its
     * end was handled (here the test holds the conversation's row lock, which every write into it takes, until then):
     * the card is never shown, and the assistant says why.
     */
    @Test
    void aCardThatArrivesAfterItsConsentEndedIsNeverShown() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        String consentId = linkAccount(me).getString("consentId");
        try (Connection db = database()) {
            db.setAutoCommit(false);
            try {
                // the bank answers after 1.2 s (its deadline here is 2 s): time enough for the lock below to be taken
                // before the card comes, even on a loaded machine
                sandboxFaults("{\"rpc\":\"GetBalances\",\"latencyMillis\":1200}");
                send(me, c, "q1", "Show balance").statusCode(201);
                try (PreparedStatement lock = db.prepareStatement("SELECT 1 FROM conversations WHERE id = ? FOR UPDATE")) {
                    lock.setObject(1, UUID.fromString(c));
                    lock.executeQuery();
                }
                awaitDb("the card waits for the conversation", "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%send_message_batch%'");
                as(me).post("/v1/consents/" + consentId + "/revoke").then().statusCode(200);
                awaitDb("the consent's end was handled", "SELECT count(*) FROM consent_expiries WHERE ended AND consent_id = '"
                        + consentId + "'");
            } finally {
                db.rollback();  // the card goes on
                sandboxFaults(null);
            }
        }
        Map<String, Object> said = awaitMessages(me, c, 1, m -> kind("NOTICE").test(m)
                && m.toString().contains("I can't show this")).get(0);
        assertTrue(said.toString().contains("access to the account ended"), said.toString());
        List<Map<String, Object>> all = history(me, c);
        assertTrue(all.stream().noneMatch(kind("ACCOUNT_CARD")), all.toString());
        assertTrue(all.stream().noneMatch(m -> m.toString().contains("This card was removed")), "never posted: " + all);
    }

    /**
     * A share that commits while the redaction of its consent's cards waits for the conversation (it read the cards
     * before taking the lock) is kept, and the bank hears that the card it was shown is gone. Before, the redaction
     * wrote its stale copy back: the card went person-only again and the bank never got the redacted event.
     */
    @Test
    void aCardSharedWhileItsRedactionWaitsStaysSharedAndIsRedactedForTheBankToo() throws Exception {
        String me = newPerson();
        BalanceCards shown = balanceCards(me);
        String c = shown.conversation();
        String consentId = shown.consentId();
        List<Map<String, Object>> cards = shown.cards();
        // the redaction takes the cards in seq order: the first is the one it holds while it waits
        Map<String, Object> first = cards.stream().min(java.util.Comparator.comparingLong(m -> ((Number) m.get("seq")).longValue()))
                .orElseThrow();
        UUID card = UUID.fromString(first.get("id").toString());
        try (Connection db = database()) {
            db.setAutoCommit(false);
            try (PreparedStatement lock = db.prepareStatement("SELECT 1 FROM conversations WHERE id = ? FOR UPDATE")) {
                lock.setObject(1, UUID.fromString(c));
                lock.executeQuery();
            }
            as(me).post("/v1/consents/" + consentId + "/revoke").then().statusCode(200);
            awaitDb("the redaction read the cards and waits for the conversation", "SELECT count(*) FROM pg_stat_activity"
                    + " WHERE wait_event_type = 'Lock' AND query ILIKE '%from conversations%' AND datname = current_database()");
            // what a share does to the card, committed while the redaction waits
            try (PreparedStatement share = db.prepareStatement("UPDATE messages SET visibility = 'EVERYONE' WHERE id = ?")) {
                share.setObject(1, card);
                share.executeUpdate();
            }
            db.commit();
        }
        awaitDb("the card was redacted", "SELECT count(*) FROM messages WHERE kind = 'NOTICE' AND id = '" + card + "'");
        try (Connection db = database(); PreparedStatement read = db.prepareStatement("SELECT visibility FROM messages WHERE id = ?")) {
            read.setObject(1, card);
            try (var r = read.executeQuery()) {
                r.next();
                assertEquals("EVERYONE", r.getString(1), "the share is kept");
            }
        }
        awaitDb("the bank's inbox heard of it", "SELECT count(*) FROM inbox_events WHERE participant = 'b:" + BANK
                + "' AND kind = 'redacted' AND payload LIKE '%" + card + "%'");
        Message forBank = bankHistory(c).stream().filter(m -> m.getId().equals(card.toString())).findFirst().orElseThrow();
        assertTrue(forBank.getContent().hasNotice(), forBank.toString());
    }

    /**
     * A card is not shared with a bank the person blocks, nor once its consent has ended (marked by the watcher, whose
     * redaction may not have reached this card yet): the bank never sees it either way.
     */
    @Test
    void aCardIsNotSharedWithABlockedBankOrAfterItsConsentEnded() throws Exception {
        String me = newPerson();
        BalanceCards shown = balanceCards(me);
        String c = shown.conversation();
        String card = shown.cards().get(0).get("id").toString();
        String share = "/v1/conversations/" + c + "/messages/" + card + "/share";

        as(me).put("/v1/conversations/" + c + "/block").then().statusCode(200);
        as(me).post(share).then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/business-blocked"));
        as(me).delete("/v1/conversations/" + c + "/block").then().statusCode(200);

        // the watcher's first step when the consent ends, before it replaces the cards
        try (Connection db = database(); PreparedStatement end = db.prepareStatement("INSERT INTO card_consents (consent_id,"
                + " ended) VALUES (?, true) ON CONFLICT (consent_id) DO UPDATE SET ended = true")) {
            end.setString(1, shown.consentId());
            end.executeUpdate();
        }
        as(me).post(share).then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/consent-ended"));
        assertTrue(bankHistory(c).stream().noneMatch(m -> m.getId().equals(card)), "the bank never saw the card");
        assertEquals(true, history(me, c).stream().filter(m -> card.equals(m.get("id"))).findFirst().orElseThrow()
                .get("personOnly"), "still the person's only");
    }

    /**
     * Showing a card to the bank's agents is what "help from the bank in chat" is for: a card read under a consent for
     * the account overview alone is not shared, as consent-service has the consent (not only as events told).
     */
    @Test
    void aCardIsSharedOnlyUnderAConsentForTheBanksHelpInChat() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        linkAccount(me);  // ACCOUNT_OVERVIEW only
        send(me, c, "q1", "Show balance").statusCode(201);
        String card = awaitMessages(me, c, 1, kind("ACCOUNT_CARD")).get(0).get("id").toString();
        as(me).post("/v1/conversations/" + c + "/messages/" + card + "/share").then().statusCode(403)
                .contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/sharing-not-consented"))
                .body("detail", org.hamcrest.Matchers.containsString("Help from the bank in chat"));
        assertTrue(bankHistory(c).stream().noneMatch(m -> m.getId().equals(card)), "the bank never saw the card");
        assertEquals(true, history(me, c).stream().filter(m -> card.equals(m.get("id"))).findFirst().orElseThrow()
                .get("personOnly"), "still the person's only");
    }

    /**
     * The web client offers "Share with <bank>" only where the share would be allowed: a card names the person's own
     * consent it was read under, over REST and on the stream, and that consent's purposes say whether the bank may see
     * it; the notice that replaces it when the consent ends names none. (Businesses get messages in the proto, which has
     * no such field.)
     */
    @Test
    void aCardNamesTheConsentThatDecidesWhetherItMayBeShared() throws Exception {
        String me = newPerson();
        BalanceCards shareable = balanceCards(me);
        Map<String, Object> card = shareable.cards().get(0);
        assertEquals(shareable.consentId(), card.get("consentId"));
        as(me).get("/v1/consents/" + shareable.consentId()).then().statusCode(200)
                .body("purposes", org.hamcrest.Matchers.hasItem("CUSTOMER_SERVICE"));
        try (SseStream replay = SseStream.personEvents(baseUrl(), ISSUER.person(me), 0L)) {
            SseStream.Event onStream = replay.until(e -> e.name().equals("message") && e.data().contains(card.get("id").toString()), WAIT)
                    .stream().reduce((first, last) -> last).orElseThrow();
            assertEquals(shareable.consentId(), JsonPath.from(onStream.data()).getString("consentId"));
        }

        String other = newPerson();
        String c = open(other, BANK);
        String overviewOnly = linkAccount(other).getString("consentId");
        send(other, c, "q1", "Show balance").statusCode(201);
        Map<String, Object> notShareable = awaitMessages(other, c, 1, kind("ACCOUNT_CARD")).get(0);
        assertEquals(overviewOnly, notShareable.get("consentId"));
        as(other).get("/v1/consents/" + overviewOnly).then().statusCode(200)
                .body("purposes", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("CUSTOMER_SERVICE")));
        // the notice that replaces a card once its consent ended is no card, and names none
        as(other).post("/v1/consents/" + overviewOnly + "/revoke").then().statusCode(200);
        Map<String, Object> removed = awaitMessages(other, c, 1, m -> m.get("id").equals(notShareable.get("id"))
                && "NOTICE".equals(m.get("kind"))).get(0);
        assertEquals(null, removed.get("consentId"), removed.toString());
    }

    /** A card that names no consent (the column allows it) is shown to nobody else: there is nothing to check it by. */
    @Test
    void aCardOfNoConsentIsNotShared() throws Exception {
        String me = newPerson();
        BalanceCards shown = balanceCards(me);
        String card = shown.cards().get(0).get("id").toString();
        update("UPDATE messages SET source_consent_id = NULL WHERE id = ?::uuid", card);
        as(me).post("/v1/conversations/" + shown.conversation() + "/messages/" + card + "/share").then().statusCode(403)
                .contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/consent-ended"));
        assertTrue(bankHistory(shown.conversation()).stream().noneMatch(m -> m.getId().equals(card)), "the bank never saw it");
    }

    /** A person's conversation with the bank, the consent of the account they linked, and the balance cards it showed. */
    private record BalanceCards(String conversation, String consentId, List<Map<String, Object>> cards) {}

    /** Cards of an account linked for the overview and the bank's help in chat, so that they can be shared. */
    private BalanceCards balanceCards(String me) throws Exception {
        String c = open(me, BANK);
        String consentId = linkAccountToShare(me).getString("consentId");
        send(me, c, "q1", "Show balance").statusCode(201);
        return new BalanceCards(c, consentId, awaitMessages(me, c, 1, kind("ACCOUNT_CARD")));
    }

    /** Polls a count on another connection until it is positive (the test's own connection holds a lock). */
    private static void awaitDb(String what, String countQuery) throws Exception {
        long end = System.nanoTime() + WAIT.toNanos();
        try (Connection db = database(); var st = db.createStatement()) {
            while (System.nanoTime() < end) {
                try (var r = st.executeQuery(countQuery)) {
                    r.next();
                    if (r.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("timed out waiting until " + what);
    }

    /** The sandbox bank's fault knobs (its test hook); null clears them. */
    private static void sandboxFaults(String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(MeshPeers.get().sandbox.baseUrl() + "/sandbox/faults"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
        b = json == null ? b.DELETE() : b.PUT(HttpRequest.BodyPublishers.ofString(json));
        assertEquals(200, HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    /**
     * A bank's balance whose as_of is no time a timestamp may hold (account-link-service passes the bank's answer on as
     * it came; here a stand-in changes the real answer): the assistant tells the person it cannot show it. Before, the
     * time failed after the read had succeeded, missed the recovery that tells the person, and the assistant said
     * nothing at all.
     */
    @Test
    void aBalanceWithATimeNoTimestampHoldsGetsTheAssistantsNotice() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        linkAccount(me);
        QuarkusMock.installMockForType(new BalancesOutOfTime(accountLinkStub, config), AccountLinkClient.class);
        send(me, c, "q1", "Show balance").statusCode(201);
        Map<String, Object> said = awaitMessages(me, c, 1, m -> "ASSISTANT".equals(m.get("sender")) && kind("NOTICE").test(m))
                .get(0);
        assertTrue(said.toString().contains("carried a date I can't read"), said.toString());
        assertEquals(0, history(me, c).stream().filter(kind("ACCOUNT_CARD")).count());
    }

    /** account-link-service as it is, but every balance it answers is as of 10000-01-01. */
    static final class BalancesOutOfTime extends AccountLinkClient {
        BalancesOutOfTime(MutinyAccountServiceGrpc.MutinyAccountServiceStub stub, ChatConfig config) {
            super(stub, config);
        }

        @Override
        public Uni<GetBalancesResponse> getBalances(String personToken, GetBalancesRequest req) {
            return super.getBalances(personToken, req).map(r -> {
                GetBalancesResponse.Builder b = r.toBuilder();
                for (int i = 0; i < b.getBalancesCount(); i++) {
                    b.setBalances(i, b.getBalances(i).toBuilder().setAsOf(Timestamp.newBuilder().setSeconds(253402300800L)));
                }
                return b.build();
            });
        }
    }

    @Test
    void bankDataNeverGoesToAShop() {
        String me = newPerson();
        String shop = open(me, SHOP);
        String id = send(me, shop, "s1", "Where is my parcel?").statusCode(201).extract().path("id");
        as(me).post("/v1/conversations/" + shop + "/messages/" + id + "/share").then().statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/bank-data-not-for-shops"));
        send(me, shop, "s2", "assistant:show-balance").statusCode(409)
                .body("type", equalTo("https://commercechat.example/problems/bank-data-not-for-shops"));
        as(me).contentType("application/json").body(Map.of("clientMessageId", "s3", "text", "Show balance",
                "payload", "assistant:show-balance")).post("/v1/conversations/" + shop + "/messages").then().statusCode(409)
                .body("type", equalTo("https://commercechat.example/problems/bank-data-not-for-shops"));
    }

    @Test
    void menuAndManageAccess() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        send(me, c, "m1", "help").statusCode(201);
        Map<String, Object> menu = awaitMessages(me, c, 1, kind("QUICK_REPLIES")).get(0);
        for (String label : List.of("Link account", "Show balance", "Recent transactions", "Manage access")) {
            assertTrue(menu.toString().contains(label), menu.toString());
        }
        linkAccount(me);
        send(me, c, "m2", "Manage access").statusCode(201);
        awaitMessages(me, c, 1, m -> m.toString().contains("may read"));
    }

    @Test
    void renewalIsOfferedOnceAWeekBeforeExpiry() throws Exception {
        String me = newPerson();
        String c = open(me, BANK);
        Map<String, Object> body = new java.util.HashMap<>(beginBody());
        body.put("validDays", 1);
        JsonPath begun = as(me).body(body).post("/v1/links").then().statusCode(201).extract().jsonPath();
        Map<String, String> back = atBank(begun.getString("authorisationUrl"), true);
        String consentId = as(me).body(Map.of("state", back.get("state"), "code", back.get("code"))).post("/v1/links/complete")
                .then().statusCode(200).body("link.status", equalTo("ACTIVE")).extract().path("link.consentId");
        Predicate<Map<String, Object>> offer = m -> m.toString().contains("Renew access");
        Map<String, Object> found = awaitMessages(me, c, 1, offer).get(0);
        assertEquals("UPDATE_TAG_ACCOUNT_UPDATE", found.get("updateTag"));
        assertEquals(true, found.get("automated"));
        Thread.sleep(3000);
        assertEquals(1, history(me, c).stream().filter(offer).count(), "offered once");
        // claimed: the timer (every second in tests) does not come back to it
        awaitDb("the consent is marked offered", "SELECT count(*) FROM consent_expiries WHERE consent_id = '" + consentId
                + "' AND offered_at IS NOT NULL");

        // ended before its date: the offer no longer says when it will end, it is replaced as the cards are
        as(me).post("/v1/consents/" + consentId + "/revoke").then().statusCode(200);
        awaitMessages(me, c, 1, m -> m.toString().contains("This reminder was removed because the consent it was about ended"));
        assertEquals(0, history(me, c).stream().filter(offer).count());
    }
}
