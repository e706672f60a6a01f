package io.commercechat.chat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The BFF when its peers fail, with chat-service as a real process: account-link-service accepts
 * connections and never answers (a hung peer: the call's deadline ends it), consent-service's
 * address has nothing listening (a peer that is down). Both are a 503 problem with Retry-After
 * that tells the person whether anything may have changed, within the deadline, never a 500 or a hang; the
 * person's token never reaches the log. Runs in {@code verify} (failsafe), after {@code package}.
 */
class PeerFailureIT {

    private static final TestIssuer ISSUER = TestIssuer.get();
    /** The deadline set for both peers here; an answer must come well before twice that. */
    private static final long DEADLINE_MILLIS = 1000;

    private static ServerSocket hungPeer;
    private static final List<Socket> held = Collections.synchronizedList(new ArrayList<>());
    private static ServiceProcess chat;

    @BeforeAll
    static void start() throws IOException {
        hungPeer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!hungPeer.isClosed()) {
                try {
                    held.add(hungPeer.accept()); // keeps the connection open and never reads or writes
                } catch (IOException closed) {
                    return;
                }
            }
        }, "hung-peer");
        accept.setDaemon(true);
        accept.start();

        Map<String, String> config = MeshPeers.chatProcessConfig(ISSUER, "peer_failure_");
        config.put("chat.consent-events.enabled", "false");
        config.put("quarkus.grpc.clients.account-link.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.account-link.port", Integer.toString(hungPeer.getLocalPort()));
        config.put("quarkus.grpc.clients.consent.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.consent.port", Integer.toString(ServiceProcess.freePort()));
        config.put("chat.account-link-deadline", "PT" + DEADLINE_MILLIS / 1000 + "S");
        config.put("chat.consent-deadline", "PT" + DEADLINE_MILLIS / 1000 + "S");
        chat = ServiceProcess.start("chat-service", config);
    }

    @AfterAll
    static void stop() throws IOException {
        if (chat != null) {
            chat.close();
        }
        hungPeer.close();
        synchronized (held) {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aPeerThatNeverAnswersIsA503WithinTheDeadline() {
        String token = ISSUER.person("person-" + UUID.randomUUID());
        unavailable("Your bank link service", NOTHING_CHANGED, () -> given().baseUri(chat.baseUrl()).auth().oauth2(token)
                .get("/v1/accounts").then());
        // begin link only starts a pending link, which trying again starts anew: said as for a read
        unavailable("Your bank link service", NOTHING_CHANGED, () -> given().baseUri(chat.baseUrl()).auth().oauth2(token)
                .contentType(ContentType.JSON).body(Map.of("bankId", "sandbox-bank", "permissions", List.of("ACCOUNTS_BASIC"),
                        "purposes", List.of("ACCOUNT_OVERVIEW"), "validDays", 30, "redirectUri", "http://127.0.0.1/done"))
                .post("/v1/links").then());
        // unlink changes something, and the hung peer has the call: it may have been carried out
        unavailable("Your bank link service", MAY_HAVE_CHANGED, () -> given().baseUri(chat.baseUrl()).auth().oauth2(token)
                .delete("/v1/links/" + UUID.randomUUID()).then());
        assertTokenNotLogged(token);
    }

    @Test
    void aPeerThatIsDownIsA503() {
        String token = ISSUER.person("person-" + UUID.randomUUID());
        unavailable("Your privacy settings", NOTHING_CHANGED, () -> given().baseUri(chat.baseUrl()).auth().oauth2(token)
                .get("/v1/consents").then());
        unavailable("Your privacy settings", NOTHING_CHANGED, () -> given().baseUri(chat.baseUrl()).auth().oauth2(token)
                .get("/v1/access-log").then());
        // nothing listens: the revocation never reached consent-service
        unavailable("Your privacy settings", NOTHING_CHANGED, () -> given().baseUri(chat.baseUrl()).auth().oauth2(token)
                .post("/v1/consents/" + UUID.randomUUID() + "/revoke").then());
        assertTokenNotLogged(token);
    }

    private static final String NOTHING_CHANGED = "nothing was changed, try again in a minute";
    private static final String MAY_HAVE_CHANGED = "it may have been done, so look again before you try again";

    /**
     * A 503 problem with Retry-After naming the peer as the person knows it and ending with {@code ending}, answered
     * within twice the deadline (plus a margin).
     */
    private static void unavailable(String peer, String ending, Supplier<ValidatableResponse> call) {
        long start = System.nanoTime();
        ValidatableResponse r = call.get();
        long millis = (System.nanoTime() - start) / 1_000_000;
        r.statusCode(503).contentType("application/problem+json").header("Retry-After", equalTo("30"))
                .body("status", equalTo(503)).body("type", endsWith("temporarily-unavailable"))
                .body("detail", startsWith(peer)).body("detail", endsWith(ending));
        // without the deadline a hung peer would never answer; the margin is for a cold JVM on a loaded machine
        assertTrue(millis < 2 * DEADLINE_MILLIS + 3000, "answered in " + millis + " ms");
    }

    private static void assertTokenNotLogged(String token) {
        try {
            String log = Files.readString(chat.log());
            assertFalse(log.contains(token), "the person's token is in the log");
            assertFalse(log.contains(token.substring(token.lastIndexOf('.') + 1)), "the token's signature is in the log");
        } catch (IOException e) {
            throw new AssertionError("cannot read " + chat.log(), e);
        }
    }
}
