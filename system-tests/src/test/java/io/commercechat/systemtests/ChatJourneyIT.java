package io.commercechat.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.Message;
import io.commercechat.proto.partner.v1.SendMessageResponse;
import io.commercechat.proto.partner.v1.SenderKind;
import io.commercechat.systemtests.client.BankAgent;
import io.commercechat.systemtests.client.Connections;
import io.commercechat.systemtests.client.Rest;
import io.commercechat.systemtests.mesh.Mesh;
import io.commercechat.systemtests.mesh.JourneySteps;
import io.commercechat.systemtests.mesh.MeshExtension;
import io.commercechat.testkit.SseStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A person and her bank's agent chat across the real mesh: alice signs in at Keycloak (authorization code + PKCE),
 * opens a chat with Sandbox Bank, the bank's agent system (client-credentials token, gRPC {@code Subscribe}) sees her
 * message and replies, she gets the reply over SSE; bob cannot see her conversation; then chat-service is killed with
 * SIGKILL in the middle of the conversation, started again on the same port, and both streams resume
 * ({@code Last-Event-ID}, {@code after_position}) with no lost and no duplicated event.
 *
 * <p>The steps build on each other (one ordered class, one shared state), as the person's day would.
 */
@ExtendWith({MeshExtension.class, JourneySteps.class})
@Order(1)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChatJourneyIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String BANK = "sandbox-bank";

    private Mesh mesh;
    private String aliceToken;
    private Rest alice;
    private BankAgent agent;
    private SseStream aliceEvents;
    private BankAgent.Inbox agentInbox;
    private String conversationId;

    /** Every SSE event alice received, across reconnects, in arrival order. */
    private final List<SseStream.Event> aliceSeen = new ArrayList<>();
    /** Every inbox event the agent received, across re-subscriptions, in arrival order. */
    private final List<InboxEvent> agentSeen = new ArrayList<>();

    @BeforeAll
    void mesh(Mesh mesh) {
        this.mesh = mesh;
    }

    @AfterAll
    void disconnect() {
        Connections.closeAll(aliceEvents, agentInbox, agent);
    }

    @Test
    @Order(1)
    void aliceSignsInAtKeycloakWithPkce() {
        aliceToken = mesh.signIn("alice", "alice-demo");
        JsonNode claims = claims(aliceToken);
        assertEquals(mesh.issuer(), claims.path("iss").asText());
        assertTrue(claims.path("groups").toString().contains("\"user\""), "groups: " + claims.path("groups"));
        assertTrue(claims.path("aud").toString().contains(Mesh.AUDIENCE), "aud: " + claims.path("aud"));
        assertEquals("web", claims.path("azp").asText());

        alice = new Rest(mesh.chat().baseUrl(), aliceToken);
        Rest.Response businesses = alice.get("/v1/businesses");
        assertEquals(200, businesses.status(), businesses.toString());
        assertTrue(businesses.body().contains("\"" + BANK + "\""), businesses.toString());

        // without a token, or with a token that is not Keycloak's, chat-service refuses
        assertEquals(401, new Rest(mesh.chat().baseUrl(), null).get("/v1/businesses").status());
        assertEquals(401, new Rest(mesh.chat().baseUrl(), tampered(aliceToken)).get("/v1/businesses").status());
    }

    @Test
    @Order(2)
    void aliceOpensAChatWithHerBank() {
        aliceEvents = SseStream.personEvents(mesh.chat().baseUrl(), aliceToken, null);
        assertEquals(200, aliceEvents.status());
        agent = new BankAgent(mesh.chat().port(), mesh.bankToken());
        agentInbox = agent.subscribe(0);

        Rest.Response opened = alice.post("/v1/conversations", Map.of("businessId", BANK));
        assertEquals(201, opened.status(), opened.toString());
        conversationId = opened.get("id").asText();
        assertEquals(200, alice.post("/v1/conversations", Map.of("businessId", BANK)).status(), "one conversation per bank");

        Rest.Response sent = send("alice-1", "Hello, my card was declined this morning.");
        assertEquals(201, sent.status(), sent.toString());
        assertEquals(1, sent.get("seq").asLong());
    }

    @Test
    @Order(3)
    void theAgentSeesHerMessageAndReplies() throws Exception {
        InboxEvent seen = agentUntil(e -> e.hasMessage() && e.getMessage().getClientMessageId().equals("alice-1"));
        Message m = seen.getMessage();
        assertEquals(conversationId, m.getConversationId());
        assertEquals(SenderKind.SENDER_KIND_PERSON, m.getSender());
        assertEquals("Hello, my card was declined this morning.", m.getContent().getText().getBody());

        SendMessageResponse reply = agent.sendText(conversationId, "agent-1", "Sorry about that! It is unblocked now.");
        assertFalse(reply.getDuplicate());
        assertEquals(2, reply.getMessage().getSeq());
        // the bank sees a pairwise reference, never alice's login subject
        String sub = claims(aliceToken).path("sub").asText();
        assertFalse(agentSeen.toString().contains(sub), "alice's subject reached the bank: " + agentSeen);
        assertFalse(agent.history(conversationId).toString().contains(sub));
    }

    @Test
    @Order(4)
    void aliceReceivesTheReplyOverSse() throws Exception {
        SseStream.Event reply = aliceUntil(e -> e.name().equals("message") && data(e).path("seq").asLong() == 2);
        assertEquals("BUSINESS", data(reply).path("sender").asText());
        assertEquals("Sorry about that! It is unblocked now.", data(reply).path("content").path("text").path("body").asText());
        assertEquals(conversationId, data(reply).path("conversationId").asText());
    }

    @Test
    @Order(5)
    void bobCannotSeeAlicesConversation() {
        Rest bob = new Rest(mesh.chat().baseUrl(), mesh.signIn("bob", "bob-demo"));
        assertEquals(404, bob.get("/v1/conversations/" + conversationId).status());
        assertEquals(404, bob.get("/v1/conversations/" + conversationId + "/messages").status());
        Rest.Response write = bob.post("/v1/conversations/" + conversationId + "/messages",
                Map.of("clientMessageId", "bob-1", "text", "let me in"));
        assertEquals(404, write.status(), write.toString());
        assertTrue(write.contentType().startsWith("application/problem+json"), write.toString());
        Rest.Response bobsList = bob.get("/v1/conversations");
        assertEquals(200, bobsList.status());
        assertFalse(bobsList.body().contains(conversationId), "bob's list: " + bobsList);
    }

    @Test
    @Order(6)
    void killingChatServiceMidConversationLosesAndDuplicatesNothing() throws Exception {
        // one more exchange, read by both sides, before the crash
        assertEquals(201, send("alice-2", "Thanks! Can I also raise my limit?").status());
        aliceUntil(e -> e.name().equals("message") && data(e).path("seq").asLong() == 3);
        agentUntil(e -> e.hasMessage() && e.getMessage().getSeq() == 3);
        long aliceLast = aliceSeen.get(aliceSeen.size() - 1).id();
        long agentLast = agentSeen.get(agentSeen.size() - 1).getPosition();

        // kill -9 in the middle of the conversation
        long pid = mesh.chat().pid();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        mesh.chat().kill9(); // waits until it is gone
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "chat-service " + pid + " still alive");
        assertNotNull(agentInbox.awaitEnd(WAIT), "the agent's stream ends with the server");
        aliceEvents.close();
        agentInbox.close();

        mesh.chat().start(Duration.ofSeconds(120));
        assertNotEquals(pid, mesh.chat().pid());

        // While neither side is connected: alice retries the send she made before the crash (same client message
        // id: the first result, no second message), writes twice more, and the agent answers once.
        Rest.Response retried = send("alice-2", "Thanks! Can I also raise my limit?");
        assertEquals(200, retried.status(), "an idempotent retry after the restart: " + retried);
        assertEquals(3, retried.get("seq").asLong());
        assertEquals(201, send("alice-3", "I would like 2000 EUR.").status());
        assertEquals(201, send("alice-4", "For the holidays.").status());
        SendMessageResponse answer = agent.sendText(conversationId, "agent-2", "Done: your limit is now 2000 EUR.");
        assertEquals(6, answer.getMessage().getSeq());
        assertTrue(agent.sendText(conversationId, "agent-2", "Done: your limit is now 2000 EUR.").getDuplicate(),
                "the agent's retry is a duplicate, not a new message");

        // both resume from the last position they processed
        aliceEvents = SseStream.personEvents(mesh.chat().baseUrl(), aliceToken, aliceLast);
        assertEquals(200, aliceEvents.status());
        agentInbox = agent.subscribe(agentLast);
        aliceUntil(e -> e.name().equals("message") && data(e).path("seq").asLong() == 6);
        agentUntil(e -> e.hasMessage() && e.getMessage().getSeq() == 6);
        // and after it the streams are live again
        assertEquals(201, send("alice-5", "Great, thank you!").status());
        aliceUntil(e -> e.name().equals("message") && data(e).path("seq").asLong() == 7);
        agentUntil(e -> e.hasMessage() && e.getMessage().getSeq() == 7);
        aliceSeen.addAll(aliceEvents.drain(Duration.ofMillis(1500)));
        agentSeen.addAll(agentInbox.drain(Duration.ofMillis(500)));

        // every message exactly once, in order, on both sides
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), aliceSeen.stream().filter(e -> e.name().equals("message"))
                .map(e -> data(e).path("seq").asLong()).toList(), "alice's messages: " + aliceSeen);
        assertEquals(List.of(1L, 3L, 4L, 5L, 7L), agentSeen.stream().filter(InboxEvent::hasMessage)
                .filter(e -> e.getMessage().getSender() == SenderKind.SENDER_KIND_PERSON)
                .map(e -> e.getMessage().getSeq()).toList(), "messages the agent received from alice: " + agentSeen);
        // positions: strictly increasing, no gap across the crash. Positions are gapless when written; TypingSweep
        // deletes typing events only after chat.typing-kept (10 min), longer than this journey, so here every
        // position of both inboxes exists and a skipped one would show as a gap
        assertGapless(aliceSeen.stream().map(SseStream.Event::id).toList(), "alice's SSE ids");
        assertGapless(agentSeen.stream().map(InboxEvent::getPosition).toList(), "the agent's inbox positions");

        // what the web client shows after a reload: the whole history, once
        Rest.Response history = alice.get("/v1/conversations/" + conversationId + "/messages?limit=50");
        assertEquals(200, history.status());
        List<Long> seqs = new ArrayList<>();
        history.get("messages").forEach(m -> seqs.add(m.path("seq").asLong()));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), seqs.stream().sorted().toList(), history.toString());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L),
                agent.history(conversationId).stream().map(Message::getSeq).sorted().toList());
    }


    /**
     * The packaged services run with production's configuration: gRPC server reflection (the list of every RPC, for
     * grpcurl) is for development and tests only, so no caller in the cluster can enumerate the internal APIs.
     */
    @Test
    @Order(7)
    void thePackagedServicesPublishNoListOfTheirRpcs() throws Exception {
        for (var service : List.of(mesh.chat(), mesh.accountLink(), mesh.consent())) {
            var channel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", service.port()).usePlaintext().build();
            try {
                var answer = new java.util.concurrent.CompletableFuture<Object>();
                var requests = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
                        .withCallCredentials(io.commercechat.testkit.GrpcCalls.bearer(mesh.bankToken()))
                        .serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
                            @Override
                            public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                                answer.complete(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                                answer.complete(io.grpc.Status.fromThrowable(t).getCode());
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
                requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
                assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, answer.get(30, java.util.concurrent.TimeUnit.SECONDS),
                        service.module() + " answered the list of its services");
            } finally {
                channel.shutdownNow();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The event's JSON data (MissingNode when it is not JSON). */

    private static JsonNode data(SseStream.Event event) {
        return Rest.parse(event.data());
    }

    private Rest.Response send(String clientMessageId, String text) {
        return alice.post("/v1/conversations/" + conversationId + "/messages",
                Map.of("clientMessageId", clientMessageId, "text", text));
    }

    private SseStream.Event aliceUntil(java.util.function.Predicate<SseStream.Event> match) throws InterruptedException {
        List<SseStream.Event> read = aliceEvents.until(match, WAIT);
        aliceSeen.addAll(read);
        return read.get(read.size() - 1);
    }

    private InboxEvent agentUntil(java.util.function.Predicate<InboxEvent> match) throws InterruptedException {
        List<InboxEvent> read = agentInbox.until(match, WAIT);
        agentSeen.addAll(read);
        return read.get(read.size() - 1);
    }

    private static void assertGapless(List<Long> positions, String what) {
        for (int i = 1; i < positions.size(); i++) {
            if (positions.get(i) != positions.get(i - 1) + 1) {
                throw new AssertionError(what + " are not consecutive at index " + i + ": "
                        + positions.stream().map(String::valueOf).collect(Collectors.joining(",")));
            }
        }
    }

    static JsonNode claims(String jwt) {
        try {
            return Rest.JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The same token with another subject in its payload (so the signature no longer matches). */
    private static String tampered(String jwt) {
        String[] parts = jwt.split("\\.");
        com.fasterxml.jackson.databind.node.ObjectNode payload = (com.fasterxml.jackson.databind.node.ObjectNode) claims(jwt);
        payload.put("sub", "mallory");
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }
}
