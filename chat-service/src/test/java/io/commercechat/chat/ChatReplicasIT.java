package io.commercechat.chat;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.SseStream;
import io.commercechat.testkit.TestIssuer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two chat-service replicas as real processes (the packaged jar) on one database. Streams poll
 * only every 30 s here, so delivery within seconds proves the LISTEN/NOTIFY fan-out between
 * replicas. Runs in {@code verify} (failsafe), after {@code package} built the jar.
 */
class ChatReplicasIT {

    private static final TestIssuer ISSUER = TestIssuer.get();
    private static final Duration FAST = Duration.ofSeconds(5);
    private static ServiceProcess a;
    private static ServiceProcess b;

    @BeforeAll
    static void start() {
        Map<String, String> config = MeshPeers.chatProcessConfig(ISSUER, "replicas_");
        config.put("chat.stream-poll-interval", "PT30S");
        // peers are not under test here: the addresses only have to be present (prod requires them)
        String nowhere = Integer.toString(ServiceProcess.freePort());
        for (String peer : new String[] {"account-link", "consent"}) {
            config.put("quarkus.grpc.clients." + peer + ".host", "127.0.0.1");
            config.put("quarkus.grpc.clients." + peer + ".port", nowhere);
        }
        a = ServiceProcess.start("chat-service", config);
        b = ServiceProcess.start("chat-service", config);
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private static io.restassured.specification.RequestSpecification on(ServiceProcess p, String sub) {
        return given().baseUri(p.baseUrl()).auth().oauth2(ISSUER.person(sub)).contentType(ContentType.JSON);
    }

    private static String open(ServiceProcess p, String sub, String business) {
        return on(p, sub).body(Map.of("businessId", business)).post("/v1/conversations").then().extract().path("id");
    }

    private static int send(ServiceProcess p, String sub, String c, String clientId, String text) {
        return on(p, sub).body(Map.of("clientMessageId", clientId, "text", text)).post("/v1/conversations/" + c + "/messages")
                .then().statusCode(201).extract().path("seq");
    }

    @Test
    void eventsCommittedOnOneReplicaReachStreamsOnTheOther() throws Exception {
        String me = "person-" + UUID.randomUUID();
        String c = open(a, me, "demo-shop");
        ManagedChannel channelA = ManagedChannelBuilder.forAddress("127.0.0.1", a.port()).usePlaintext().build();
        try (SseStream onB = SseStream.personEvents(b.baseUrl(), ISSUER.person(me), null);
                InboxSubscriber shopOnA = InboxSubscriber.open(channelA, ISSUER.partner("demo-shop"), 0)) {
            // the shop's inbox holds other tests' events too: read up to this conversation's creation
            while (!shopOnA.take(1, FAST).get(0).getConversationUpdated().getId().equals(c)) {
                // earlier events
            }
            assertEquals("connected", onB.nextComment(FAST));
            // B's stream has done its first read once it has this message, sent through B itself: what A commits
            // next can reach it only by NOTIFY (the next poll is 30 s away), not by a read that raced the send
            send(b, me, c, "m0", "first, through B");
            assertEquals("first, through B", JsonPath.from(onB.next(FAST).data()).getString("content.text.body"));
            assertEquals("first, through B", shopOnA.take(1, FAST).get(0).getMessage().getContent().getText().getBody());
            long sent = System.nanoTime();
            send(a, me, c, "m1", "sent through A");
            SseStream.Event e = onB.next(FAST);
            assertNotNull(e, "the SSE stream on B got the message committed on A without waiting for a poll");
            assertEquals("sent through A", JsonPath.from(e.data()).getString("content.text.body"));
            long millis = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(millis < 5000, "delivered in " + millis + " ms");

            send(b, me, c, "m2", "sent through B");
            List<InboxEvent> next = shopOnA.take(2, FAST);
            assertEquals("sent through A", next.get(0).getMessage().getContent().getText().getBody());
            InboxEvent onA = next.get(1);
            assertEquals("sent through B", onA.getMessage().getContent().getText().getBody());
            assertEquals(3, onA.getMessage().getSeq());
        } finally {
            channelA.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends through both replicas at once stay gapless, and a stream on each replica gets every one of them exactly
     * once and in seq order: its own replica's hand-over of committed events and the other's notifications race.
     */
    @Test
    void concurrentSendsThroughBothReplicasStayGaplessAndReachStreamsOnBothOnceInOrder() throws Exception {
        String me = "person-" + UUID.randomUUID();
        String c = open(a, me, "demo-shop");
        try (SseStream onA = SseStream.personEvents(a.baseUrl(), ISSUER.person(me), null);
                SseStream onB = SseStream.personEvents(b.baseUrl(), ISSUER.person(me), null)) {
            assertEquals("connected", onA.nextComment(FAST));
            assertEquals("connected", onB.nextComment(FAST));
            ExecutorService pool = Executors.newFixedThreadPool(10);
            List<Future<List<Integer>>> futures = new ArrayList<>();
            for (int t = 0; t < 10; t++) {
                ServiceProcess target = t % 2 == 0 ? a : b;
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Integer> seqs = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        seqs.add(send(target, me, c, "t" + thread + "-" + i, "message " + i));
                    }
                    return seqs;
                }));
            }
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : futures) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            pool.shutdown();
            all.sort(Integer::compare);
            List<Integer> gapless = IntStream.rangeClosed(1, 100).boxed().toList();
            assertEquals(gapless, all);
            for (SseStream stream : List.of(onA, onB)) {
                List<Integer> delivered = stream.take(100, "message", Duration.ofSeconds(20)).stream()
                        .filter(e -> e.name().equals("message")).map(e -> JsonPath.from(e.data()).getInt("seq")).toList();
                assertEquals(gapless, delivered, "every message once, in seq order");
                assertTrue(stream.drain(Duration.ofSeconds(1)).stream().noneMatch(e -> "message".equals(e.name())),
                        "and nothing twice");
            }
        }
    }

    /**
     * kill -9 of the replica taking sends, while they are in flight: every send it acknowledged is kept with the seq it
     * answered, and a retry of each send whose answer was lost (same clientMessageId, through the other replica) ends
     * with that message exactly once, whether its batch had committed or not. The history stays gapless and a stream on
     * the other replica gets every message once, in order.
     */
    @Test
    void sendsAcknowledgedByAReplicaKilledUnderLoadAreKeptAndRetriesAreNotDuplicated() throws Exception {
        String me = "person-" + UUID.randomUUID();
        String c = open(b, me, "demo-shop");
        Map<String, Integer> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> unanswered = java.util.Collections.synchronizedList(new ArrayList<>());
        try (SseStream onB = SseStream.personEvents(b.baseUrl(), ISSUER.person(me), null)) {
            assertEquals("connected", onB.nextComment(FAST));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> senders = new ArrayList<>();
            try {
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    senders.add(pool.submit(() -> {
                        for (int i = 0; ; i++) { // until the replica is gone: its last send's answer is lost
                            String clientId = "load-" + thread + "-" + i;
                            try {
                                var answer = on(a, me).body(Map.of("clientMessageId", clientId, "text", clientId))
                                        .post("/v1/conversations/" + c + "/messages");
                                if (answer.statusCode() != 201) {
                                    unanswered.add(clientId); // e.g. 503 send-unconfirmed while it dies
                                    return;
                                }
                                acknowledged.put(clientId, answer.path("seq"));
                            } catch (Exception e) { // connection reset or refused
                                unanswered.add(clientId);
                                return;
                            }
                        }
                    }));
                }
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (acknowledged.size() < 200 && System.nanoTime() < until) {
                    TimeUnit.MILLISECONDS.sleep(10);
                }
                a.kill(); // SIGKILL, with sends in flight
                for (Future<?> f : senders) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(acknowledged.size() >= 200, "sends acknowledged before the kill: " + acknowledged.size());
            assertEquals(8, unanswered.size(), "each sender's last send lost its answer: " + unanswered);

            // the retries, through the other replica: 201 when the batch had not committed, 200 (the first result) when it had
            for (String clientId : unanswered) {
                int status = on(b, me).body(Map.of("clientMessageId", clientId, "text", clientId))
                        .post("/v1/conversations/" + c + "/messages").then().extract().statusCode();
                assertTrue(status == 201 || status == 200, clientId + " retried: " + status);
            }
            int total = acknowledged.size() + unanswered.size();
            Map<String, Integer> history = new java.util.HashMap<>();
            List<Integer> seqs = new ArrayList<>();
            for (int after = 0; seqs.size() < total; ) {
                List<Map<String, Object>> page = on(b, me).get("/v1/conversations/" + c + "/messages?after=" + after + "&limit=100")
                        .then().statusCode(200).extract().path("messages");
                if (page.isEmpty()) {
                    break;
                }
                for (Map<String, Object> m : page) {
                    int seq = (Integer) m.get("seq");
                    seqs.add(seq);
                    assertEquals(null, history.put((String) m.get("clientMessageId"), seq), "sent twice: " + m);
                    after = seq;
                }
            }
            assertEquals(IntStream.rangeClosed(1, total).boxed().toList(), seqs, "gapless, each send once");
            acknowledged.forEach((clientId, seq) -> assertEquals(seq, history.get(clientId), "acknowledged " + clientId));
            unanswered.forEach(clientId -> assertNotNull(history.get(clientId), "retried " + clientId));

            List<Integer> delivered = onB.take(total, "message", Duration.ofSeconds(30)).stream()
                    .filter(e -> e.name().equals("message")).map(e -> JsonPath.from(e.data()).getInt("seq")).toList();
            assertEquals(seqs, delivered, "the stream on the surviving replica: every message once, in order");
        } finally {
            a.restart();
        }
    }

    @Test
    void aStreamResumesOnTheOtherReplicaAfterItsReplicaDies() throws Exception {
        String me = "person-" + UUID.randomUUID();
        String c = open(a, me, "demo-shop");
        List<SseStream.Event> seen = new ArrayList<>();
        try (SseStream onB = SseStream.personEvents(b.baseUrl(), ISSUER.person(me), null)) {
            for (int i = 1; i <= 3; i++) {
                send(a, me, c, "k" + i, "before " + i);
            }
            seen.addAll(onB.take(3, "message", FAST));
            b.kill(); // SIGKILL: the replica serving the stream is gone
        }
        try {
            for (int i = 4; i <= 6; i++) {
                send(a, me, c, "k" + i, "after " + i);
            }
            try (SseStream onA = SseStream.personEvents(a.baseUrl(), ISSUER.person(me), seen.get(seen.size() - 1).id())) {
                seen.addAll(onA.take(3, "message", FAST));
            }
        } finally {
            b.restart();
        }
        List<Integer> seqs = seen.stream().map(e -> JsonPath.from(e.data()).getInt("seq")).toList();
        assertEquals(List.of(1, 2, 3, 4, 5, 6), seqs);
    }
}
