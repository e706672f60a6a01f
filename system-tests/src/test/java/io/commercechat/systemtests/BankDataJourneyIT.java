package io.commercechat.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.Message;
import io.commercechat.systemtests.client.BankAgent;
import io.commercechat.systemtests.client.Connections;
import io.commercechat.systemtests.client.BankAuthorisationPage;
import io.commercechat.systemtests.client.Rest;
import io.commercechat.systemtests.mesh.Mesh;
import io.commercechat.systemtests.mesh.JourneySteps;
import io.commercechat.systemtests.mesh.MeshExtension;
import io.commercechat.testkit.SseStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bank-data half of the journey, across the real mesh: alice links her Sandbox Bank account (BFF → account-link
 * service → consent-service and the bank; approval on the bank's own page), asks the assistant for her balance and
 * gets an account card that only she can see, shares it with the bank, then ends access: the next read is refused,
 * the card is replaced by a notice (also at the bank), and the access log shows every read.
 *
 * <p>Holds chat-service to the one REST contract it serves (its {@code rest} resources) and the web client calls
 * (chat-service {@code META-INF/resources/api.js}): {@code authorisationUrl}, lists wrapped in an object
 * ({@code {"accounts": [...]}}), enum values by their short name ({@code ACTIVE}, not {@code LINK_STATUS_ACTIVE}),
 * 201 for what a POST created, 200 otherwise.
 */
@ExtendWith({MeshExtension.class, JourneySteps.class})
@Order(2)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BankDataJourneyIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String BANK = "sandbox-bank";

    private Mesh mesh;
    private Rest alice;
    private SseStream aliceEvents;
    private BankAgent agent;
    private BankAgent.Inbox agentInbox;
    private String conversationId;
    private String consentId;
    private String accountId;
    private String cardMessageId;
    /** The card as the bank received it when alice shared it (step 3). */
    private String sharedCardId;

    @BeforeAll
    void start(Mesh mesh) {
        this.mesh = mesh;
        String token = mesh.signIn("alice", "alice-demo");
        alice = new Rest(mesh.chat().baseUrl(), token);
        aliceEvents = SseStream.personEvents(mesh.chat().baseUrl(), token, null);
        agent = new BankAgent(mesh.chat().port(), mesh.bankToken());
        agentInbox = agent.subscribe(0);
        // get-or-create: 201 when new (this class run alone), 200 when ChatJourneyIT opened it on this mesh already
        Rest.Response mine = alice.get("/v1/conversations");
        assertEquals(200, mine.status(), mine.toString());
        boolean had = list(mine.json(), "conversations").stream().anyMatch(c -> c.path("businessId").asText().equals(BANK));
        Rest.Response opened = alice.post("/v1/conversations", Map.of("businessId", BANK));
        assertEquals(had ? 200 : 201, opened.status(), opened.toString());
        assertEquals(BANK, opened.get("businessId").asText(), opened.toString());
        conversationId = opened.get("id").asText();
    }

    @AfterAll
    void stop() {
        Connections.closeAll(aliceEvents, agentInbox, agent);
    }

    @Test
    @Order(1)
    void aliceLinksHerAccountAtTheBank() {
        Rest.Response banks = alice.get("/v1/banks");
        assertEquals(200, banks.status(), banks.toString());
        assertTrue(banks.body().contains(BANK), banks.toString());

        // with help from the bank in chat (CUSTOMER_SERVICE): only such a consent's cards may be shared (step 3)
        Rest.Response begun = alice.post("/v1/links", Map.of("bankId", BANK,
                "permissions", List.of("ACCOUNTS_BASIC", "BALANCES", "TRANSACTIONS"),
                "purposes", List.of("ACCOUNT_OVERVIEW", "CUSTOMER_SERVICE"), "validDays", 90, "redirectUri", mesh.webOrigin() + "/"));
        assertEquals(201, begun.status(), begun.toString());
        assertEquals("PENDING", begun.get("link").path("status").asText(), begun.toString());
        String url = begun.get("authorisationUrl").asText();
        assertTrue(url.startsWith(mesh.sandbox().baseUrl() + "/bank/authorise"), "authorisationUrl in " + begun);

        BankAuthorisationPage.Answer answer = new BankAuthorisationPage().approve(url, "cust-ada");
        assertTrue(answer.location().toString().startsWith(mesh.webOrigin() + "/"), "back to the web client: " + answer.location());
        assertNotNull(answer.code(), "code in " + answer.location());

        Rest.Response completed = alice.post("/v1/links/complete", Map.of("state", answer.state(), "code", answer.code(), "error", ""));
        assertEquals(200, completed.status(), completed.toString());
        JsonNode link = completed.get("link");
        assertEquals("ACTIVE", link.path("status").asText(), completed.toString());
        consentId = link.path("consentId").asText();
        assertFalse(consentId.isEmpty(), "the link's consent: " + completed);

        Rest.Response accounts = alice.get("/v1/accounts");
        assertEquals(200, accounts.status(), accounts.toString());
        List<JsonNode> list = list(accounts.json(), "accounts");
        assertFalse(list.isEmpty(), accounts.toString());
        accountId = list.get(0).path("id").asText();
        // the platform masks account numbers: never a full IBAN or card number
        // (an IBAN's shape, or a card number's: 13-19 digits; the sandbox's cust-ada has a 16-digit card)
        assertFalse(accounts.body().matches("(?s).*\\b([A-Z]{2}\\d{2}[A-Z0-9]{12,30}|\\d{13,19})\\b.*"), "unmasked number in " + accounts);
        // and without ACCOUNTS_DETAIL (not asked for above) not even a masked one
        list.forEach(a -> assertEquals("", a.path("maskedNumber").asText(), "masked number without ACCOUNTS_DETAIL: " + a));

        // a balance read as the Accounts page makes it (consent-checked, logged)
        Rest.Response balances = alice.get("/v1/accounts/" + accountId + "/balances");
        assertEquals(200, balances.status(), balances.toString());
        assertFalse(list(balances.json(), "balances").isEmpty(), balances.toString());
    }

    @Test
    @Order(2)
    void theAssistantAnswersShowBalanceWithACardOnlyAliceSees() throws Exception {
        Rest.Response asked = alice.post("/v1/conversations/" + conversationId + "/messages",
                Map.of("clientMessageId", "balance-1", "text", "Show balance"));
        assertEquals(201, asked.status(), asked.toString());
        long askedSeq = asked.get("seq").asLong();

        SseStream.Event card = aliceEvents.until(e -> e.name().equals("message") && data(e).path("seq").asLong() > askedSeq
                && data(e).path("content").has("accountCard"), WAIT).stream().reduce((a, b) -> b).orElseThrow();
        assertTrue(data(card).path("personOnly").asBoolean(), "a card is the person's only: " + card);
        assertEquals("ASSISTANT", data(card).path("sender").asText());
        assertTrue(data(card).path("automated").asBoolean(), "the assistant is marked automated");
        cardMessageId = data(card).path("id").asText();

        // the bank sees alice's question, never the card
        agentInbox.until(e -> e.hasMessage() && e.getMessage().getClientMessageId().equals("balance-1"), WAIT);
        List<InboxEvent> more = agentInbox.drain(Duration.ofSeconds(2));
        assertTrue(more.stream().noneMatch(e -> e.hasMessage() && e.getMessage().getId().equals(cardMessageId)), "card reached the bank: " + more);
        assertTrue(agent.history(conversationId).stream().noneMatch(m -> m.getId().equals(cardMessageId) || m.getContent().hasAccountCard()),
                "the bank's history shows the card");

        // and bob sees nothing of alice's
        Rest bob = new Rest(mesh.chat().baseUrl(), mesh.signIn("bob", "bob-demo"));
        assertEquals(404, bob.get("/v1/conversations/" + conversationId).status());
        assertEquals(404, bob.get("/v1/conversations/" + conversationId + "/messages").status());
        assertEquals(404, bob.post("/v1/conversations/" + conversationId + "/messages/" + cardMessageId + "/share", Map.of()).status());
        Rest.Response bobsAccounts = bob.get("/v1/accounts");
        assertEquals(200, bobsAccounts.status(), bobsAccounts.toString());
        assertFalse(bobsAccounts.body().contains(accountId), "bob sees alice's account: " + bobsAccounts);
    }

    @Test
    @Order(3)
    void aliceSharesTheCardAndTheBankSeesIt() throws Exception {
        Rest.Response shared = alice.post("/v1/conversations/" + conversationId + "/messages/" + cardMessageId + "/share", Map.of());
        assertEquals(200, shared.status(), shared.toString());

        List<InboxEvent> read = agentInbox.until(e -> e.hasMessage() && e.getMessage().getContent().hasAccountCard(), WAIT);
        Message atBank = read.get(read.size() - 1).getMessage();
        assertEquals(conversationId, atBank.getConversationId());
        sharedCardId = atBank.getId();
        assertTrue(agent.history(conversationId).stream().anyMatch(m -> m.getContent().hasAccountCard()),
                "the shared card is in the bank's history");
    }

    @Test
    @Order(4)
    void endingAccessStopsReadsAndTheAccessLogShowsEveryRead() {
        Rest.Response revoked = alice.post("/v1/consents/" + consentId + "/revoke", Map.of());
        assertEquals(200, revoked.status(), revoked.toString());
        assertEquals("REVOKED", revoked.get("status").asText(), revoked.toString());

        // the next read is refused
        Rest.Response denied = alice.get("/v1/accounts/" + accountId + "/balances");
        assertEquals(403, denied.status(), denied.toString());
        assertTrue(denied.contentType().startsWith("application/problem+json"), denied.toString());

        // the access log shows every read: allowed before, denied after
        Rest.Response log = alice.get("/v1/access-log");
        assertEquals(200, log.status(), log.toString());
        List<JsonNode> records = list(log.json(), "records");
        assertTrue(records.stream().anyMatch(r -> r.path("permission").asText().equals("BALANCES")
                && r.path("decision").asText().equals("ALLOW") && r.path("consentId").asText().equals(consentId)),
                "the allowed balance read: " + log.body());
        assertTrue(records.stream().anyMatch(r -> r.path("permission").asText().equals("BALANCES")
                && r.path("decision").asText().equals("DENY") && r.path("consentId").asText().equals(consentId)),
                "the denied balance read: " + log.body());
        // a read made under no consent has consentId null
        assertTrue(records.stream().allMatch(r -> r.path("consentId").isNull() || r.path("consentId").asText().equals(consentId)),
                "alice's log holds only her own consent's reads: " + log);
        assertFalse(log.body().contains("cust-ada"), "bank customer ids do not reach the log: " + log);
    }

    @Test
    @Order(5)
    void cardsMadeFromTheEndedConsentBecomeNotices() throws Exception {
        // for alice (SSE and history) and for the bank, which saw the shared card. chat-service learns of the ended
        // consent from consent-service's event stream, which one replica follows under a 30 s lease: after the
        // kill -9 in ChatJourneyIT the restarted instance takes the stream over only once the dead one's lease ran out.
        Duration redaction = Duration.ofSeconds(60);
        SseStream.Event redacted = aliceEvents.until(e -> e.name().equals("redacted")
                && data(e).toString().contains(cardMessageId), redaction).stream().reduce((a, b) -> b).orElseThrow();
        assertTrue(data(redacted).toString().contains("notice"), "replacement: " + redacted);
        // the redaction of the very card the bank was shown in step 3
        agentInbox.until(e -> e.hasRedacted() && e.getRedacted().getMessageId().equals(sharedCardId), redaction);
        Rest.Response history = alice.get("/v1/conversations/" + conversationId + "/messages?limit=100");
        assertEquals(200, history.status());
        JsonNode card = list(history.json(), "messages").stream().filter(m -> m.path("id").asText().equals(cardMessageId))
                .findFirst().orElseThrow();
        assertTrue(card.path("content").has("notice") && !card.path("content").has("accountCard"), "card after revoke: " + card);
        assertTrue(agent.history(conversationId).stream().noneMatch(m -> m.getContent().hasAccountCard()),
                "a card is still visible at the bank after the revoke");
        // and the assistant cannot answer "Show balance" with bank data any more
        Rest.Response asked = alice.post("/v1/conversations/" + conversationId + "/messages",
                Map.of("clientMessageId", "balance-2", "text", "Show balance"));
        assertEquals(201, asked.status(), asked.toString());
        long askedSeq = asked.get("seq").asLong();
        SseStream.Event answer = aliceEvents.until(e -> e.name().equals("message") && data(e).path("seq").asLong() > askedSeq
                && data(e).path("automated").asBoolean(), WAIT).stream().reduce((a, b) -> b).orElseThrow();
        assertFalse(data(answer).path("content").has("accountCard"), "a card after the consent ended: " + answer);
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The event's JSON data (MissingNode when it is not JSON). */
    private static JsonNode data(SseStream.Event event) {
        return Rest.parse(event.data());
    }

    /** The list chat-service answers wrapped in an object: {@code {field: [...], ...}}. */
    private static List<JsonNode> list(JsonNode body, String field) {
        JsonNode array = body.path(field);
        assertTrue(array.isArray(), "no list '" + field + "' in " + body);
        return StreamSupport.stream(array.spliterator(), false).toList();
    }
}
