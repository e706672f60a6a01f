package io.commercechat.chat;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.commercechat.proto.partner.v1.BusinessMessagingGrpc;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.proto.partner.v1.MarkReadRequest;
import io.commercechat.proto.partner.v1.SetTypingRequest;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Object-level authorization over every endpoint and RPC (DESIGN.md section 4). */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class AuthorizationTest extends ChatTestSupport {

    record Call(String method, String path, Object body) {}

    /** Every person endpoint that names a conversation; {id} is replaced. */
    static List<Call> conversationCalls() {
        return List.of(
                new Call("GET", "/v1/conversations/{id}", null),
                new Call("GET", "/v1/conversations/{id}/messages", null),
                new Call("POST", "/v1/conversations/{id}/messages", Map.of("clientMessageId", "intruder-1", "text", "hi")),
                new Call("POST", "/v1/conversations/{id}/read", Map.of("seq", 1)),
                new Call("PUT", "/v1/conversations/{id}/typing", Map.of("typing", true)),
                new Call("PUT", "/v1/conversations/{id}/block", null),
                new Call("DELETE", "/v1/conversations/{id}/block", null),
                new Call("POST", "/v1/conversations/{id}/messages/" + SOME_ID + "/share", null));
    }

    /** An id of the right form that names nothing: authorization is decided before any lookup. */
    private static final String SOME_ID = "7d1c0f5e-3b7a-4c55-9a51-2f4a8e6b9c10";

    /** The account and consent endpoints (forwarded to account-link-service and consent-service). */
    static List<Call> bankDataCalls() {
        return List.of(
                new Call("GET", "/v1/banks", null),
                new Call("POST", "/v1/links", Map.of("bankId", BANK)),
                new Call("POST", "/v1/links/complete", Map.of("state", "s", "code", "c")),
                new Call("GET", "/v1/links", null),
                new Call("GET", "/v1/links/" + SOME_ID, null),
                new Call("DELETE", "/v1/links/" + SOME_ID, null),
                new Call("GET", "/v1/accounts", null),
                new Call("GET", "/v1/accounts/" + SOME_ID + "/balances", null),
                new Call("GET", "/v1/accounts/" + SOME_ID + "/transactions", null),
                new Call("GET", "/v1/consents", null),
                new Call("GET", "/v1/consents/" + SOME_ID, null),
                new Call("GET", "/v1/consents/" + SOME_ID + "/receipt", null),
                new Call("POST", "/v1/consents/" + SOME_ID + "/revoke", null),
                new Call("GET", "/v1/access-log", null));
    }

    static List<Call> everyEndpoint() {
        List<Call> all = new java.util.ArrayList<>(conversationCalls());
        all.add(new Call("GET", "/v1/businesses", null));
        all.add(new Call("GET", "/v1/conversations", null));
        all.add(new Call("POST", "/v1/conversations", Map.of("businessId", SHOP)));
        all.add(new Call("GET", "/v1/events", null));
        all.addAll(bankDataCalls());
        return all;
    }

    static io.restassured.response.Response call(RequestSpecification spec, Call call, String conversationId) {
        RequestSpecification s = spec.contentType(ContentType.JSON);
        if (call.body() != null) {
            s = s.body(call.body());
        }
        return s.request(call.method(), call.path().replace("{id}", conversationId));
    }

    /** The web client learns its issuer from configuration, without a token, and nothing secret. */
    @Test
    void theWebClientConfigNamesTheConfiguredIssuerWithoutAToken() {
        given().get("/config.json").then().statusCode(200).contentType(ContentType.JSON)
                .header("Cache-Control", org.hamcrest.Matchers.containsString("no-store"))
                .body("issuer", equalTo(io.commercechat.testkit.TestIssuer.ISSUER))
                .body("clientId", equalTo("web"))
                .body("idleMinutes", equalTo(15))
                .body("size()", equalTo(3));
    }

    /** The web client's page, its scripts and the API refuse to be framed (clickjacking) and to be sniffed. */
    @Test
    void everyAnswerRefusesFramingAndSniffing() {
        String issuer = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("mp.jwt.verify.issuer", String.class);
        java.net.URI i = java.net.URI.create(issuer);
        String issuerOrigin = i.getScheme() + "://" + i.getHost() + (i.getPort() == -1 ? "" : ":" + i.getPort());
        String webClientPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + "connect-src 'self' " + issuerOrigin + "; form-action 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
        for (String path : List.of("/", "/index.html", "/app.js", "/config.json", "/v1/businesses", "/v1/nothing-here")) {
            given().get(path).then()
                    .header("X-Frame-Options", equalTo("DENY"))
                    .header("Content-Security-Policy", equalTo(webClientPolicy))
                    .header("X-Content-Type-Options", equalTo("nosniff"));
        }
        // refused before any resource runs (EdgeFailures): the same headers
        given().auth().oauth2(ISSUER.person(newPerson())).contentType(ContentType.JSON).body("x".repeat(70 * 1024))
                .post("/v1/conversations").then().statusCode(413)
                .header("Content-Security-Policy", equalTo(webClientPolicy)).header("X-Frame-Options", equalTo("DENY"))
                .header("Cache-Control", equalTo("no-store"));
        // the API's answers are never cached (bank data on a shared computer), refusals included (BankDataTest: the
        // public receipt keys keep their own)
        String person = ISSUER.person(newPerson());
        given().auth().oauth2(person).get("/v1/conversations").then().statusCode(200).header("Cache-Control", equalTo("no-store"));
        given().auth().oauth2(person).get("/v1/conversations/not-a-uuid/messages").then().statusCode(400)
                .header("Cache-Control", equalTo("no-store"));
        given().get("/v1/conversations").then().statusCode(401).header("Cache-Control", equalTo("no-store"));
        // nor the page that shows them (the back-forward cache after sign-out)
        for (String page : List.of("/", "/index.html")) {
            given().get(page).then().statusCode(200).header("Cache-Control", equalTo("no-store"));
        }
        // its scripts are checked again on every load, so an upgraded page never runs yesterday's scripts
        for (String script : List.of("/app.js", "/views/link.js", "/styles.css")) {
            given().get(script).then().statusCode(200).header("Cache-Control", equalTo("no-cache"));
        }
        // Quarkus' own pages keep the framing rules only (Swagger UI runs inline scripts)
        given().get("/q/health").then().header("Content-Security-Policy",
                equalTo("frame-ancestors 'none'; base-uri 'none'; object-src 'none'"));
    }

    @Test
    void anotherPersonsConversationIsNotFoundOnEveryEndpoint() {
        String owner = newPerson();
        String c = open(owner, SHOP);
        send(owner, c, "o1", "private").statusCode(201);
        String intruder = newPerson();
        open(intruder, SHOP);
        for (Call call : conversationCalls()) {
            call(given().auth().oauth2(ISSUER.person(intruder)), call, c).then()
                    .statusCode(404).contentType("application/problem+json")
                    .body("type", equalTo("https://commercechat.example/problems/not-found"));
        }
        // nothing changed for the owner
        as(owner).get("/v1/conversations/" + c).then().statusCode(200).body("lastSeq", equalTo(1)).body("blocked", equalTo(false));
        as(intruder).get("/v1/conversations").then().statusCode(200).body("conversations.id", org.hamcrest.Matchers.not(
                org.hamcrest.Matchers.hasItem(c)));
    }

    @Test
    void partnerAndServiceTokensAreForbiddenOnTheRestApi() {
        String owner = newPerson();
        String c = open(owner, SHOP);
        for (String token : List.of(ISSUER.partner(SHOP), ISSUER.service("account-link-service"))) {
            for (Call call : everyEndpoint()) {
                call(given().auth().oauth2(token), call, c).then().statusCode(403).contentType("application/problem+json")
                        .body("type", equalTo("https://commercechat.example/problems/forbidden"));
            }
        }
        // a person token whose subject is too long to store is refused, not a 500
        given().auth().oauth2(ISSUER.person("p".repeat(300))).get("/v1/conversations").then().statusCode(403)
                .contentType("application/problem+json");
    }

    @Test
    void missingOrBrokenTokensAreUnauthorizedOnTheRestApi() {
        String c = open(newPerson(), SHOP);
        List<String> broken = List.of(ISSUER.expired("p"), ISSUER.wrongIssuer("p"), ISSUER.wrongAudience("p"),
                ISSUER.badSignature("p"), ISSUER.algNone("p"), ISSUER.missingSub(), ISSUER.notYetValid("p"), "not-a-jwt");
        for (Call call : everyEndpoint()) {
            call(given(), call, c).then().statusCode(401).header("WWW-Authenticate", startsWith("Bearer"));
            for (String token : broken) {
                call(given().auth().oauth2(token), call, c).then().statusCode(401)
                        .contentType("application/problem+json");
            }
        }
    }

    /**
     * A provider may sign with an EC key (DESIGN.md section 4: RS256 or ES256 from the JWKS): a person's ES256 token is
     * served on the REST API, a partner's on the gRPC edge; one signed by an EC key the JWKS does not hold is refused.
     */
    @Test
    void es256TokensFromThePublishedKeyAreAcceptedAndNoOtherEcKey() {
        var es256 = ISSUER.es256();
        String person = newPerson();
        given().auth().oauth2(es256.person(person)).get("/v1/conversations").then().statusCode(200);
        grpcAs(es256.partner(SHOP)).listConversations(ListConversationsRequest.getDefaultInstance());

        String unpublished = es256.badSignature(person);
        given().auth().oauth2(unpublished).get("/v1/conversations").then().statusCode(401);
        assertStatus(Status.Code.UNAUTHENTICATED,
                () -> grpcAs(unpublished).listConversations(ListConversationsRequest.getDefaultInstance()));
    }

    /** Every unary RPC that names a conversation, against a conversation of another business. */
    static List<Consumer<BusinessMessagingGrpc.BusinessMessagingBlockingStub>> conversationRpcs(String c) {
        return List.of(
                s -> s.sendMessage(PartnerMessagingTest.sendReq(c, "x1", PartnerMessagingTest.text("hi")).build()),
                s -> s.markRead(MarkReadRequest.newBuilder().setConversationId(c).setSeq(1).build()),
                s -> s.setTyping(SetTypingRequest.newBuilder().setConversationId(c).setTyping(true).build()),
                s -> s.getHistory(GetHistoryRequest.newBuilder().setConversationId(c).build()));
    }

    @Test
    void anotherBusinessesConversationIsNotFoundOnEveryRpc() throws Exception {
        String person = newPerson();
        String c = open(person, SHOP);
        send(person, c, "p1", "for the shop only").statusCode(201);
        for (var rpc : conversationRpcs(c)) {
            assertStatus(Status.Code.NOT_FOUND, () -> rpc.accept(partner(BANK)));
        }
        boolean listed = partner(BANK).listConversations(ListConversationsRequest.newBuilder().setPageSize(100).build())
                .getConversationsList().stream().anyMatch(x -> x.getId().equals(c));
        org.junit.jupiter.api.Assertions.assertFalse(listed);
        // the bank's inbox never carries the shop's events: read it from the start up to a message the bank must
        // see, sent after the shop's events (so the stream demonstrably works and has passed them)
        as(person).body(Map.of("typing", true)).put("/v1/conversations/" + c + "/typing").then().statusCode(200);
        String ownPerson = newPerson();
        String own = open(ownPerson, BANK);
        String marker = send(ownPerson, own, "marker", "for the bank").statusCode(201).extract().path("id");
        try (InboxSubscriber bank = InboxSubscriber.open(channel, ISSUER.partner(BANK), 0)) {
            boolean markerSeen = false;
            while (!markerSeen) {
                var e = bank.next(Duration.ofSeconds(10));
                org.junit.jupiter.api.Assertions.assertNotNull(e, "the bank's stream ended before the bank's own message: "
                        + bank.error(Duration.ZERO));
                org.junit.jupiter.api.Assertions.assertNotEquals(c, conversationOf(e), e.toString());
                markerSeen = e.hasMessage() && e.getMessage().getId().equals(marker);
            }
        }
    }

    private static String conversationOf(io.commercechat.proto.partner.v1.InboxEvent e) {
        return switch (e.getKindCase()) {
            case MESSAGE -> e.getMessage().getConversationId();
            case READ -> e.getRead().getConversationId();
            case TYPING -> e.getTyping().getConversationId();
            case REDACTED -> e.getRedacted().getConversationId();
            case CONVERSATION_UPDATED -> e.getConversationUpdated().getId();
            case KIND_NOT_SET -> throw new AssertionError("an event without a kind: " + e);
        };
    }

    @Test
    void personServiceAndMissingTokensAreRefusedOnEveryRpc() throws Exception {
        String person = newPerson();
        String c = open(person, SHOP);
        Map<String, Status.Code> tokens = Map.of(
                ISSUER.person(person), Status.Code.PERMISSION_DENIED,
                ISSUER.service("account-link-service"), Status.Code.PERMISSION_DENIED,
                ISSUER.expired(person), Status.Code.UNAUTHENTICATED,
                ISSUER.badSignature(person), Status.Code.UNAUTHENTICATED,
                ISSUER.wrongIssuer(BANK), Status.Code.UNAUTHENTICATED,
                ISSUER.wrongAudience(BANK), Status.Code.UNAUTHENTICATED,
                ISSUER.algNone(BANK), Status.Code.UNAUTHENTICATED,
                ISSUER.notYetValid(BANK), Status.Code.UNAUTHENTICATED,
                ISSUER.missingSub(), Status.Code.UNAUTHENTICATED,
                "not-a-jwt", Status.Code.UNAUTHENTICATED);
        for (var entry : tokens.entrySet()) {
            BusinessMessagingGrpc.BusinessMessagingBlockingStub stub = grpcAs(entry.getKey());
            List<Function<BusinessMessagingGrpc.BusinessMessagingBlockingStub, Object>> rpcs = List.of(
                    s -> s.listConversations(ListConversationsRequest.getDefaultInstance()),
                    s -> s.subscribe(SubscribeRequest.getDefaultInstance()).next());
            for (var rpc : rpcs) {
                assertStatus(entry.getValue(), () -> rpc.apply(stub));
            }
            for (var rpc : conversationRpcs(c)) {
                assertStatus(entry.getValue(), () -> rpc.accept(stub));
            }
        }
        // no token at all
        var anonymous = BusinessMessagingGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        assertStatus(Status.Code.UNAUTHENTICATED, () -> anonymous.listConversations(ListConversationsRequest.getDefaultInstance()));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> anonymous.subscribe(SubscribeRequest.getDefaultInstance()).next());
    }
}
