package io.commercechat.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.commercechat.consent.eventlog.EventHash;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentEvent;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.VerifyEventLogRequest;
import io.commercechat.proto.consent.v1.VerifyEventLogResponse;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.commercechat.support.ProtoTime;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.hamcrest.Matchers;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.VerificationJwkSelector;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.keys.EllipticCurves;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class ConsentEventLogTest extends ConsentTestSupport {

    private static long lastPosition() throws Exception {
        try (Connection c = database(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select coalesce(max(position), 0) from consent_events")) {
            r.next();
            return r.getLong(1);
        }
    }

    /** Puts what a stream delivers into {@code queue}: its events, then its error or "completed". */
    private static StreamObserver<WatchConsentEventsResponse> into(BlockingQueue<Object> queue) {
        return new StreamObserver<>() {
            @Override
            public void onNext(WatchConsentEventsResponse r) {
                queue.add(r.getEvent());
            }

            @Override
            public void onError(Throwable t) {
                queue.add(t);
            }

            @Override
            public void onCompleted() {
                queue.add("completed");
            }
        };
    }

    /** A consumer that reads until it has {@code count} events of one person, then disconnects. */
    private List<ConsentEvent> consume(long after, String user, int count) throws Exception {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        Context.CancellableContext ctx = Context.current().withCancellation();
        var stub = ConsentServiceGrpc.newStub(channel).withCallCredentials(GrpcCalls.bearer(ISSUER.service("account-link-service")));
        ctx.run(() -> stub.watchConsentEvents(WatchConsentEventsRequest.newBuilder().setAfterPosition(after).build(),
                into(queue)));
        List<ConsentEvent> mine = new ArrayList<>();
        try {
            while (mine.size() < count) {
                Object o = queue.poll(20, TimeUnit.SECONDS);
                if (!(o instanceof ConsentEvent e)) {
                    throw new AssertionError("stream ended early or stalled: " + o);
                }
                if (e.getConsent().getUserId().equals(user)) {
                    mine.add(e);
                }
            }
        } finally {
            ctx.cancel(null); // the consumer goes away
        }
        return mine;
    }

    /**
     * A stream is served no longer than its caller's token is valid: it ends (completes) then, and the consumer resumes
     * from its position with a fresh token. So a stream does not outlive the token or the grant it was opened with.
     */
    @Test
    void aStreamEndsWhenItsTokenExpires() throws Exception {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        Instant expires = Instant.now().plusSeconds(3);
        var stub = ConsentServiceGrpc.newStub(channel).withCallCredentials(GrpcCalls.bearer(
                ISSUER.serviceUntil("account-link-service", expires)));
        stub.watchConsentEvents(WatchConsentEventsRequest.newBuilder().setAfterPosition(lastPosition()).build(),
                into(queue));
        String user = newPerson();
        service().createConsent(request(user).build());
        Object first = queue.poll(20, TimeUnit.SECONDS);
        assertTrue(first instanceof ConsentEvent e && e.getConsent().getUserId().equals(user), "served while the token is valid: " + first);
        Object end = queue.poll(20, TimeUnit.SECONDS);
        assertEquals("completed", end);
        // exp is in whole seconds
        assertFalse(Instant.now().isBefore(Instant.ofEpochSecond(expires.getEpochSecond()).minusMillis(200)),
                "ended at the token's expiry, not before");
    }

    @Test
    void aConsumerThatDisconnectsAndResumesSeesEveryEventOnceInOrder() throws Exception {
        String user = newPerson();
        long start = lastPosition();
        String a = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(a).build());
        String b = service().createConsent(request(user).build()).getConsent().getId();

        List<ConsentEvent> first = consume(start, user, 2); // disconnects before seeing the third
        long resumeFrom = first.get(first.size() - 1).getPosition();

        // while the consumer is away
        service().revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(a).setRevokedBy(Actor.ACTOR_USER).build());
        service().authoriseConsent(authoriseRequest(b).build());

        List<ConsentEvent> second = consume(resumeFrom, user, 3);
        List<ConsentEvent> all = new ArrayList<>(first);
        all.addAll(second);
        assertEquals(List.of(ConsentEventType.CONSENT_EVENT_TYPE_CREATED, ConsentEventType.CONSENT_EVENT_TYPE_AUTHORISED,
                ConsentEventType.CONSENT_EVENT_TYPE_CREATED, ConsentEventType.CONSENT_EVENT_TYPE_REVOKED,
                ConsentEventType.CONSENT_EVENT_TYPE_AUTHORISED), all.stream().map(ConsentEvent::getType).toList());
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i).getPosition() > all.get(i - 1).getPosition(), "strictly increasing positions");
        }
        assertEquals(all.size(), all.stream().map(ConsentEvent::getEventId).distinct().count(), "no duplicates");
        assertEquals(Actor.ACTOR_USER, all.get(3).getActor());
        assertEquals(a, all.get(3).getConsent().getId());
    }

    @Inject
    MeterRegistry metrics;

    /**
     * gRPC flow control reaches the database: a consumer that starts at 0 on a long log, takes one event and stalls is
     * not read the whole log into the server's memory (Quarkus' stubs ask a stream's Multi for everything at once,
     * and the log used to be read batch after batch as fast as PostgreSQL answered). It gets every event, in order,
     * once it reads again.
     */
    @Test
    void aConsumerThatStopsReadingIsNotReadTheWholeLogAtOnce() throws Exception {
        int logSize = 2_000;
        fillLogTo(logSize);
        long last = lastPosition();
        BlockingQueue<ConsentEvent> got = new LinkedBlockingQueue<>();
        // a client that takes 16 KiB before it reads (a fixed window: grpc-java would otherwise grow it)
        ManagedChannel small = NettyChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext()
                .flowControlWindow(16 * 1024).build();
        ClientCall<WatchConsentEventsRequest, WatchConsentEventsResponse> call = small.newCall(
                ConsentServiceGrpc.getWatchConsentEventsMethod(),
                CallOptions.DEFAULT.withCallCredentials(GrpcCalls.bearer(ISSUER.service("account-link-service"))));
        double before = eventsRead();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(WatchConsentEventsResponse message) {
                got.add(message.getEvent());
            }
        }, new Metadata());
        call.sendMessage(WatchConsentEventsRequest.newBuilder().setAfterPosition(0).build());
        call.halfClose();
        call.request(1);
        try {
            ConsentEvent first = got.poll(10, TimeUnit.SECONDS);
            assertTrue(first != null, "the first event arrives");
            Thread.sleep(2000);
            double read = eventsRead() - before;
            // what the 16 KiB windows hold and a batch (200) or two read before they were full: not the whole log
            assertTrue(read >= 1 && read <= 600, "events read for a stream that took one, of " + last + ": " + read);
            call.request(Integer.MAX_VALUE);
            long position = first.getPosition();
            while (position < last) {
                ConsentEvent e = got.poll(10, TimeUnit.SECONDS);
                assertTrue(e != null, "stalled after position " + position + " of " + last);
                assertTrue(e.getPosition() > position, "in order");
                position = e.getPosition();
            }
        } finally {
            call.cancel("done", null);
            small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private double eventsRead() {
        return metrics.get("consent.watch.events.read").functionCounter().count();
    }

    /** Creates consents (four at a time) until the log reaches position {@code size}. */
    private void fillLogTo(int size) throws Exception {
        long missing = size - lastPosition();
        if (missing <= 0) {
            return;
        }
        String user = newPerson();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> creates = new ArrayList<>();
            for (long i = 0; i < missing; i++) {
                creates.add(pool.submit(() -> service().createConsent(request(user).build())));
            }
            for (Future<?> f : creates) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tamperingWithOneEventIsDetected() throws Exception {
        String user = newPerson();
        String id = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(id).build());
        var before = service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance());
        assertTrue(before.getIntact(), before.getDetail());
        assertTrue(before.getEventsChecked() >= 2);

        long target;
        String original;
        try (Connection c = database(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select position, snapshot from consent_events where consent_id = '" + id
                        + "' and type = 'CONSENT_EVENT_TYPE_CREATED'")) {
            r.next();
            target = r.getLong(1);
            original = r.getString(2);
        }
        try {
            // someone quietly widens what the person agreed to
            setSnapshot(target, original.replace("PERMISSION_BALANCES", "PERMISSION_TRANSACTIONS"));
            var after = service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance());
            assertFalse(after.getIntact());
            assertEquals(target, after.getFirstBrokenPosition());
            assertTrue(after.getDetail().contains("altered"), after.getDetail());
        } finally {
            setSnapshot(target, original);
        }
        assertTrue(service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance()).getIntact());
    }

    @Test
    void aLogLongerThanOneReadIsVerifiedToItsEnd() throws Exception {
        // verification reads the log 1,000 entries at a time (holding one read at a time): an altered entry after
        // the first read is still found
        long events = count("consent_events");
        String user = newPerson();
        for (long i = events; i <= 1_100; i++) {
            service().createConsent(request(user).build());
        }
        long last;
        String original;
        try (Connection c = database(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select position, snapshot from consent_events order by position desc limit 1")) {
            r.next();
            last = r.getLong(1);
            original = r.getString(2);
        }
        var intact = service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance());
        assertTrue(intact.getIntact(), intact.getDetail());
        assertTrue(intact.getEventsChecked() > 1_100, intact.getDetail());
        try {
            setSnapshot(last, original.replace("PERMISSION_BALANCES", "PERMISSION_TRANSACTIONS"));
            var after = service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance());
            assertFalse(after.getIntact());
            assertEquals(last, after.getFirstBrokenPosition());
            assertEquals(intact.getEventsChecked(), after.getEventsChecked(), "every entry before it was checked");
        } finally {
            setSnapshot(last, original);
        }
    }

    @Test
    void receiptsVerifyWithOnlyThePublishedJwks() throws Exception {
        String user = newPerson();
        Instant from = Instant.parse("2026-01-01T00:00:00Z");
        String id = service().createConsent(request(user).setTransactionFrom(com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(from.getEpochSecond())).build()).getConsent().getId();
        var authorised = service().authoriseConsent(authoriseRequest(id).build()).getConsent();
        var revoked = as(ISSUER.person(user)).revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(id)
                .setRevokedBy(Actor.ACTOR_USER).build()).getConsent();

        String jwks = as(ISSUER.person(user)).getReceiptKeys(GetReceiptKeysRequest.getDefaultInstance()).getJwksJson();
        assertFalse(jwks.contains("\"d\""), "only public key material is published");
        JsonWebKeySet keys = new JsonWebKeySet(jwks);
        ObjectMapper json = new ObjectMapper();
        for (ReceiptKind kind : List.of(ReceiptKind.RECEIPT_KIND_AUTHORISATION, ReceiptKind.RECEIPT_KIND_REVOCATION)) {
            var receipt = as(ISSUER.person(user)).getReceipt(GetReceiptRequest.newBuilder().setConsentId(id).setKind(kind).build());
            JsonWebSignature jws = new JsonWebSignature();
            jws.setCompactSerialization(receipt.getJws());
            jws.setKey(new VerificationJwkSelector().select(jws, keys.getJsonWebKeys()).getKey());
            assertTrue(jws.verifySignature(), "signature verifies with the published key");
            assertEquals("ES256", jws.getAlgorithmHeaderValue());
            JsonNode claims = json.readTree(jws.getPayload());
            assertEquals(user, claims.get("piiPrincipalId").asText());
            assertEquals(id, claims.get("consentId").asText());
            assertEquals("Commerce Chat", claims.get("piiControllers").get(0).get("piiController").asText());
            JsonNode purpose = claims.get("services").get(0).get("purposes").get(0);
            assertEquals("ACCOUNT_OVERVIEW", purpose.get("purpose").asText());
            assertTrue(purpose.get("piiCategory").toString().contains("BALANCES"));
            assertFalse(purpose.get("thirdPartyDisclosure").asBoolean());
            assertEquals(kind == ReceiptKind.RECEIPT_KIND_REVOCATION ? "withdrawn" : "given", claims.get("event").asText());
            // the whole scope and its times: how far back transactions may be read, when it was given and withdrawn
            assertEquals(from.toString(), claims.get("transactionWindow").get("from").asText());
            assertFalse(claims.get("transactionWindow").has("to"));
            assertEquals(ProtoTime.from(authorised.getAuthorisedAt(), "authorised_at").toString(), claims.get("authorisedAt").asText());
            boolean withdrawn = kind == ReceiptKind.RECEIPT_KIND_REVOCATION;
            assertEquals(withdrawn, claims.has("withdrawnAt"));
            if (withdrawn) {
                assertEquals(ProtoTime.from(revoked.getUpdatedAt(), "updated_at").toString(), claims.get("withdrawnAt").asText());
            }
            assertEquals((withdrawn ? revoked : authorised).getVersion(), claims.get("consentVersion").asLong());
            // the event the receipt proves, as the log holds it
            try (Connection c = database(); var ps = c.prepareStatement(
                    "select position, type, hash from consent_events where event_id = ?::uuid")) {
                ps.setString(1, claims.get("eventLog").get("eventId").asText());
                try (ResultSet r = ps.executeQuery()) {
                    assertTrue(r.next(), "the receipt's event is in the log");
                    assertEquals(r.getLong(1), claims.get("eventLog").get("position").asLong());
                    assertEquals(withdrawn ? "CONSENT_EVENT_TYPE_REVOKED" : "CONSENT_EVENT_TYPE_AUTHORISED", r.getString(2));
                    assertEquals(r.getString(3), claims.get("eventLog").get("hash").asText());
                }
            }

            // a changed payload no longer verifies
            String[] parts = receipt.getJws().split("\\.");
            String forgedPayload = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    jws.getPayload().replace("ACCOUNT_OVERVIEW", "SPENDING_INSIGHTS").getBytes());
            JsonWebSignature forged = new JsonWebSignature();
            forged.setCompactSerialization(parts[0] + "." + forgedPayload + "." + parts[2]);
            forged.setKey(jws.getKey());
            assertFalse(forged.verifySignature());
        }
    }

    @Test
    void healthAndReflectionAnswer() {
        RestAssured.given().port(GrpcCalls.testPort()).get("/q/health/ready").then().statusCode(200)
                .body("status", Matchers.equalTo("UP"))
                .body("checks.name", Matchers.hasItem(Matchers.containsString("PostgreSQL")));
        var health = grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                .check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.newBuilder().build());
        assertEquals(grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING, health.getStatus());

        BlockingQueue<io.grpc.reflection.v1.ServerReflectionResponse> answers = new LinkedBlockingQueue<>();
        var reflection = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
                .withCallCredentials(GrpcCalls.bearer(ISSUER.service("grpcurl")));
        var requests = reflection.serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
        try {
            var answer = answers.poll(10, TimeUnit.SECONDS);
            assertTrue(answer != null && answer.getListServicesResponse().getServiceList().stream()
                    .anyMatch(s -> s.getName().equals("commercechat.consent.v1.ConsentService")), String.valueOf(answer));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            requests.onCompleted();
        }
    }

    private VerifyEventLogResponse verifyLog() {
        return service().verifyEventLog(VerifyEventLogRequest.getDefaultInstance());
    }

    /** An intact log with its receipts, one of them signed under the retired key that is still published, verifies. */
    @Test
    void anIntactLogAndItsReceiptsVerify() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);
        as(ISSUER.person(user)).revokeConsent(RevokeConsentRequest.newBuilder().setConsentId(id)
                .setRevokedBy(Actor.ACTOR_USER).build());
        String[] receipt = storedReceipt(id, ReceiptKind.RECEIPT_KIND_AUTHORISATION);
        // the same receipt as the key before the rotation signed it
        setReceipt(receipt[0], signedUnder(ReceiptKeyResource.retiredKey(), payloadOf(receipt[1])), ReceiptKeyResource.RETIRED_KEY_ID);
        try {
            var result = verifyLog();
            assertTrue(result.getIntact(), result.getDetail());
            assertEquals(count("consent_events"), result.getEventsChecked());
            assertEquals(0, result.getFirstBrokenPosition());
            long receipts = count("receipts");
            assertTrue(receipts >= 2);
            assertTrue(result.getDetail().contains("all " + receipts + " receipts verify under the published keys and match the log"),
                    result.getDetail());
        } finally {
            setReceipt(receipt[0], receipt[1], ReceiptKeyResource.KEY_ID);
        }
    }

    /**
     * Someone with write access to the database widens what a person agreed to in an event and recomputes every later
     * hash as the service does: the chain alone checks, the receipt issued with a later event does not match any more.
     */
    @Test
    void aLogRewrittenWithItsHashesRecomputedIsCaughtByAReceipt() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);
        String receiptId = storedReceipt(id, ReceiptKind.RECEIPT_KIND_AUTHORISATION)[0];
        long created = eventPosition(id, ConsentEventType.CONSENT_EVENT_TYPE_CREATED);
        long authorised = eventPosition(id, ConsentEventType.CONSENT_EVENT_TYPE_AUTHORISED);
        String authorisedEvent = eventIdAt(authorised);
        List<String[]> saved = rewriteChainFrom(created, snapshot -> snapshot.replace("PERMISSION_BALANCES", "PERMISSION_TRANSACTIONS"));
        try {
            var result = verifyLog();
            assertFalse(result.getIntact(), result.getDetail());
            assertEquals(count("consent_events"), result.getEventsChecked(), "the chain itself checks: " + result.getDetail());
            assertEquals(authorised, result.getFirstBrokenPosition(), result.getDetail());
            assertTrue(result.getDetail().contains("receipt " + receiptId + " pins event " + authorisedEvent + " at position "
                    + authorised + " with hash "), result.getDetail());
            assertFalse(result.getDetail().contains(user), "no personal data: " + result.getDetail());
        } finally {
            restoreChain(saved);
        }
        assertTrue(verifyLog().getIntact());
    }

    /**
     * A stored receipt whose payload was changed, that is signed under a key the service never published, or whose row
     * names another key than the one it is signed with.
     */
    @Test
    void aReceiptWhoseJwsWasTamperedWithIsReported() throws Exception {
        String user = newPerson();
        String id = authorisedConsent(user);
        String[] receipt = storedReceipt(id, ReceiptKind.RECEIPT_KIND_AUTHORISATION);
        String[] parts = receipt[1].split("\\.");
        String payload = payloadOf(receipt[1]);
        assertTrue(payload.contains("ACCOUNT_OVERVIEW"));
        String widened = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.replace("ACCOUNT_OVERVIEW", "SPENDING_INSIGHTS").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        try {
            setReceipt(receipt[0], widened, ReceiptKeyResource.KEY_ID);
            var result = verifyLog();
            assertFalse(result.getIntact(), result.getDetail());
            assertEquals(0, result.getFirstBrokenPosition(), "the log itself is whole: " + result.getDetail());
            assertTrue(result.getDetail().contains("receipt " + receipt[0] + ": its signature does not verify under the published key "
                    + ReceiptKeyResource.KEY_ID), result.getDetail());
            assertFalse(result.getDetail().contains(user), "no personal data: " + result.getDetail());

            PublicJsonWebKey unpublished = EcJwkGenerator.generateJwk(EllipticCurves.P256);
            unpublished.setKeyId("receipts-never-published");
            setReceipt(receipt[0], signedUnder(unpublished, payload), ReceiptKeyResource.KEY_ID);
            result = verifyLog();
            assertFalse(result.getIntact(), result.getDetail());
            assertTrue(result.getDetail().contains("receipt " + receipt[0]
                    + ": it names key id \"receipts-never-published\", which is not published"), result.getDetail());

            // the receipt untouched, its row's key id changed: the keys-in-use check at start would read a wrong key
            setReceipt(receipt[0], receipt[1], ReceiptKeyResource.RETIRED_KEY_ID);
            result = verifyLog();
            assertFalse(result.getIntact(), result.getDetail());
            assertTrue(result.getDetail().contains("receipt " + receipt[0] + ": its row names key id \""
                    + ReceiptKeyResource.RETIRED_KEY_ID + "\" but it is signed with the published key " + ReceiptKeyResource.KEY_ID),
                    result.getDetail());
        } finally {
            setReceipt(receipt[0], receipt[1], ReceiptKeyResource.KEY_ID);
        }
        assertTrue(verifyLog().getIntact());
    }

    private static long count(String table) throws Exception {
        try (Connection c = database(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("select count(*) from " + table)) {
            r.next();
            return r.getLong(1);
        }
    }

    /** The stored receipt of a kind of a consent: its id and JWS. */
    private static String[] storedReceipt(String consentId, ReceiptKind kind) throws Exception {
        try (Connection c = database(); var ps = c.prepareStatement("select id, jws from receipts where consent_id = ?::uuid and kind = ?")) {
            ps.setString(1, consentId);
            ps.setString(2, kind.name());
            try (ResultSet r = ps.executeQuery()) {
                assertTrue(r.next(), "a " + kind + " receipt of " + consentId);
                return new String[] {r.getString(1), r.getString(2)};
            }
        }
    }

    private static void setReceipt(String receiptId, String jws, String keyId) throws Exception {
        try (Connection c = database(); var ps = c.prepareStatement("update receipts set jws = ?, key_id = ? where id = ?::uuid")) {
            ps.setString(1, jws);
            ps.setString(2, keyId);
            ps.setString(3, receiptId);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private static String payloadOf(String compactJws) {
        return new String(Base64.getUrlDecoder().decode(compactJws.split("\\.")[1]), StandardCharsets.UTF_8);
    }

    /** A receipt as the service signs one (ES256, kid, typ), under {@code key}. */
    private static String signedUnder(PublicJsonWebKey key, String payload) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(payload);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setHeader("typ", "consent-receipt+jwt");
        jws.setKey(key.getPrivateKey());
        return jws.getCompactSerialization();
    }

    private static long eventPosition(String consentId, ConsentEventType type) throws Exception {
        try (Connection c = database(); var ps = c.prepareStatement(
                "select position from consent_events where consent_id = ?::uuid and type = ?")) {
            ps.setString(1, consentId);
            ps.setString(2, type.name());
            try (ResultSet r = ps.executeQuery()) {
                assertTrue(r.next());
                return r.getLong(1);
            }
        }
    }

    private static String eventIdAt(long position) throws Exception {
        try (Connection c = database(); var ps = c.prepareStatement("select event_id from consent_events where position = ?")) {
            ps.setLong(1, position);
            try (ResultSet r = ps.executeQuery()) {
                assertTrue(r.next());
                return r.getString(1);
            }
        }
    }

    /**
     * Changes the snapshot of the event at {@code from} and recomputes the hash of it and of every later event with the
     * service's own algorithm (EventHash), so that the chain is consistent again. Returns the rows as they were.
     */
    private static List<String[]> rewriteChainFrom(long from, UnaryOperator<String> change) throws Exception {
        List<String[]> saved = new ArrayList<>();
        try (Connection c = database()) {
            c.setAutoCommit(false);
            String previous;
            try (var ps = c.prepareStatement("select hash from consent_events where position < ? order by position desc limit 1")) {
                ps.setLong(1, from);
                try (ResultSet r = ps.executeQuery()) {
                    previous = r.next() ? r.getString(1) : EventHash.GENESIS;
                }
            }
            try (var ps = c.prepareStatement("select position, event_id, consent_id, type, actor, occurred_at, snapshot,"
                    + " previous_hash, hash from consent_events where position >= ? order by position");
                    var update = c.prepareStatement("update consent_events set snapshot = ?, previous_hash = ?, hash = ? where position = ?")) {
                ps.setLong(1, from);
                try (ResultSet r = ps.executeQuery()) {
                    while (r.next()) {
                        long position = r.getLong("position");
                        saved.add(new String[] {Long.toString(position), r.getString("snapshot"), r.getString("previous_hash"), r.getString("hash")});
                        String snapshot = position == from ? change.apply(r.getString("snapshot")) : r.getString("snapshot");
                        assertFalse(position == from && snapshot.equals(r.getString("snapshot")), "the rewrite changes the event");
                        String hash = EventHash.of(previous, r.getString("event_id"), r.getString("consent_id"), r.getString("type"),
                                r.getString("actor"), r.getObject("occurred_at", OffsetDateTime.class).toInstant(), snapshot);
                        update.setString(1, snapshot);
                        update.setString(2, previous);
                        update.setString(3, hash);
                        update.setLong(4, position);
                        assertEquals(1, update.executeUpdate());
                        previous = hash;
                    }
                }
            }
            c.commit();
        }
        return saved;
    }

    private static void restoreChain(List<String[]> saved) throws Exception {
        try (Connection c = database(); var ps = c.prepareStatement(
                "update consent_events set snapshot = ?, previous_hash = ?, hash = ? where position = ?")) {
            for (String[] row : saved) {
                ps.setString(1, row[1]);
                ps.setString(2, row[2]);
                ps.setString(3, row[3]);
                ps.setLong(4, Long.parseLong(row[0]));
                assertEquals(1, ps.executeUpdate());
            }
        }
    }

    /** Rewrites one stored event's snapshot behind the service's back (as someone with database access could). */
    private static void setSnapshot(long position, String snapshot) throws Exception {
        try (Connection c = database(); var ps = c.prepareStatement("update consent_events set snapshot = ? where position = ?")) {
            ps.setString(1, snapshot);
            ps.setLong(2, position);
            assertEquals(1, ps.executeUpdate());
        }
    }
}
