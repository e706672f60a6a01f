package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.chat.assistant.service.RenewalOffers;
import io.commercechat.chat.background.BackgroundWork;
import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.client.ServiceTokens;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.consent.repository.ConsentWatchRepository;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentEvent;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.proto.consent.v1.MutinyConsentServiceGrpc;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Channel;
import io.grpc.Status;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Authorised consents remembered for the renewal offer: an event whose ids or expiry this service cannot store is passed
 * over instead of failing, so the consent event stream never stops at it (and later revocations still remove cards).
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class ConsentExpiryTest {

    @Inject
    ConsentWatchRepository watch;

    @Inject
    BackgroundWork background;

    @Inject
    RenewalOffers renewals;

    @Inject
    ServiceTokens tokens;

    @Inject
    ChatConfig config;

    @GrpcClient("consent")
    MutinyConsentServiceGrpc.MutinyConsentServiceStub consentStub;

    @GrpcClient("consent")
    Channel consentChannel;

    @Test
    void anAuthorisedConsentIsRememberedOnceAndOneWithIdsTooLongToStoreIsPassedOver() {
        String id = UUID.randomUUID().toString();
        Instant expires = Instant.now().plus(Duration.ofDays(90));
        assertEquals(1, tx(() -> watch.authorised(id, "expiry-person", "sandbox-bank", expires)));
        assertEquals(0, tx(() -> watch.authorised(id, "expiry-person", "sandbox-bank", expires)), "a repeated event adds nothing");

        String longId = "c".repeat(65);
        assertEquals(0, tx(() -> watch.authorised(longId, "expiry-person", "sandbox-bank", expires)));
        assertEquals(0, tx(() -> watch.authorised(UUID.randomUUID().toString(), "p".repeat(256), "sandbox-bank", expires)));
        assertEquals(0, tx(() -> watch.authorised(UUID.randomUUID().toString(), "expiry-person", "b".repeat(65), expires)));
        long kept = tx(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                "SELECT count(*) FROM consent_expiries WHERE person_sub = 'expiry-person' OR length(person_sub) > 255"
                        + " OR length(consent_id) > 64", Long.class).getSingleResult()));
        assertEquals(1L, kept, "only the storable consent is kept");
    }

    /**
     * An AUTHORISED event whose expiry is no time a timestamp may hold (consent-service's own checks keep it out; this
     * is the case where one got through) is passed over with a warning that names nothing personal, and the REVOKED
     * event after it is applied. Before, the event failed the stream, which was followed again from the stored position
     * and failed on it again, for good: no later revocation or expiry removed a card. Here the events come from a
     * stand-in for consent-service's stream that the watcher is made to follow (its connection to the real one closed).
     */
    @Test
    void anAuthorisedEventWithAnExpiryNoTimestampHoldsIsPassedOverAndTheEventsAfterItAreApplied() throws Exception {
        String person = "unusual-expiry-" + UUID.randomUUID();
        String authorised = UUID.randomUUID().toString();
        String revoked = UUID.randomUUID().toString();
        ScriptedConsentEvents script = new ScriptedConsentEvents(consentStub, consentChannel, tokens, config, person, authorised,
                revoked);
        QuarkusMock.installMockForType(script, ConsentClient.class);
        Path logFile = Path.of("target/service-logs/chat-service-test.log");
        long logBefore = Files.size(logFile);
        Long from = null;
        try {
            MeshResource.consentRelay.closeOpenConnections();  // the watcher follows again, from the script
            from = script.followedFrom.get(40, TimeUnit.SECONDS);
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (storedPosition() < from + 2) {
                assertTrue(System.nanoTime() < end, "the watcher never got past the events (stored position "
                        + storedPosition() + ", followed " + script.calls.get() + " times from " + from + ")");
                Thread.sleep(100);
            }
            assertEquals(1, script.calls.get(), "followed once: the stream did not fail on the event");
            assertEquals(1L, count("SELECT count(*) FROM card_consents WHERE consent_id = :id AND ended", revoked),
                    "the revocation after it was applied");
            assertEquals(0L, count("SELECT count(*) FROM consent_expiries WHERE consent_id = :id", authorised),
                    "nothing is remembered for a consent whose expiry is unknown");
            byte[] logged = Files.readAllBytes(logFile);
            String log = new String(logged, (int) logBefore, logged.length - (int) logBefore, StandardCharsets.UTF_8);
            assertTrue(log.contains("consent event " + (from + 1) + " carries an expiry"), "warned about the event");
            assertFalse(log.contains(person), "the person is not named in the log");
        } finally {
            script.done = true;
            if (from != null) {
                // the script's positions are not consent-service's: it follows on from where it was
                long back = from;
                tx(() -> Panache.getSession().chain(s -> s.createNativeQuery("UPDATE consent_event_cursor SET position = :p")
                        .setParameter("p", back).executeUpdate()));
            }
            script.ended.complete(null);
        }
    }

    private long storedPosition() {
        return tx(() -> Panache.getSession().chain(s -> s.createNativeQuery("SELECT position FROM consent_event_cursor", Long.class)
                .getSingleResult()));
    }

    private long count(String sql, String id) {
        return tx(() -> Panache.getSession().chain(s -> s.createNativeQuery(sql, Long.class).setParameter("id", id)
                .getSingleResult()));
    }

    /**
     * consent-service's event stream as the watcher sees it while the test runs: an AUTHORISED event whose expiry is in
     * the year 10000, then a REVOKED one, then nothing until the test ends it; once {@link #done}, the real stream.
     */
    static final class ScriptedConsentEvents extends ConsentClient {
        final CompletableFuture<Long> followedFrom = new CompletableFuture<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean done;
        private final String person;
        private final String authorised;
        private final String revoked;

        ScriptedConsentEvents(MutinyConsentServiceGrpc.MutinyConsentServiceStub stub, Channel channel, ServiceTokens tokens,
                ChatConfig config, String person, String authorised, String revoked) {
            super(stub, channel, tokens, config);
            this.person = person;
            this.authorised = authorised;
            this.revoked = revoked;
        }

        @Override
        public Multi<WatchConsentEventsResponse> watch(String serviceToken, long afterPosition) {
            if (done) {
                return super.watch(serviceToken, afterPosition);
            }
            calls.incrementAndGet();
            followedFrom.complete(afterPosition);
            long from = followedFrom.join();
            List<WatchConsentEventsResponse> events = List.of(
                    event(from + 1, ConsentEventType.CONSENT_EVENT_TYPE_AUTHORISED, authorised,
                            Timestamp.newBuilder().setSeconds(253402300800L).build()),  // 10000-01-01
                    event(from + 2, ConsentEventType.CONSENT_EVENT_TYPE_REVOKED, revoked, Timestamp.getDefaultInstance()))
                    .stream().filter(e -> e.getEvent().getPosition() > afterPosition).toList();
            return Multi.createBy().concatenating().streams(Multi.createFrom().iterable(events),
                    Multi.createFrom().emitter(em -> ended.whenComplete((x, f) -> em.fail(
                            Status.UNAVAILABLE.withDescription("the test's stream ended").asRuntimeException()))));
        }

        private WatchConsentEventsResponse event(long position, ConsentEventType type, String consentId, Timestamp expires) {
            return WatchConsentEventsResponse.newBuilder().setEvent(ConsentEvent.newBuilder().setPosition(position)
                    .setEventId(UUID.randomUUID().toString()).setType(type).setConsent(Consent.newBuilder().setId(consentId)
                            .setUserId(person).setBankId("sandbox-bank").setExpiresAt(expires))).build();
        }
    }

    /**
     * More consents due than one claim takes are all handled by one check, not 20 a check (with checks every ten
     * minutes, consents coming due faster than that would have expired without an offer). Expiring in 20 days, they
     * are outside the 7 days the tests' own timer looks at, so only this check claims them.
     */
    @Test
    void oneCheckHandlesEveryConsentThatIsDue() {
        int due = 2 * RenewalOffers.CLAIMED_AT_ONCE + 5;
        String people = "renewal-" + UUID.randomUUID() + "-";
        for (int i = 0; i < due; i++) {
            String id = UUID.randomUUID().toString();
            String person = people + i;
            assertEquals(1, tx(() -> watch.authorised(id, person, "sandbox-bank", Instant.now().plus(Duration.ofDays(20)))));
        }
        int handled = background.call(() -> renewals.offerDue(Duration.ofDays(30))).await().atMost(Duration.ofSeconds(30));
        assertTrue(handled >= due, "handled " + handled + " of " + due);
        assertEquals(0L, notOffered(people + "%"), "none left for a later check");
    }

    /**
     * The periodic check (the one without a window of its own) does not run twice at once on a replica: a check that
     * starts while another runs (this test's other one, or the tests' own timer's) does nothing, and the one running
     * handles every due consent. Without the guard the two would share the claims and each answer a part.
     */
    @Test
    void aPeriodicCheckDoesNotJoinOneStillRunning() throws InterruptedException {
        int due = 2 * RenewalOffers.CLAIMED_AT_ONCE + 5;
        String people = "renewal-" + UUID.randomUUID() + "-";
        for (int i = 0; i < due; i++) {
            String person = people + i;
            assertEquals(1, tx(() -> watch.authorised(UUID.randomUUID().toString(), person, "sandbox-bank",
                    Instant.now().plus(Duration.ofDays(3)))));
        }
        var first = background.call(renewals::offerDue).subscribeAsCompletionStage().toCompletableFuture();
        var second = background.call(renewals::offerDue).subscribeAsCompletionStage().toCompletableFuture();
        int a = first.orTimeout(30, TimeUnit.SECONDS).join();
        int b = second.orTimeout(30, TimeUnit.SECONDS).join();
        assertEquals(0, Math.min(a, b), "one of them found a check running: " + a + ", " + b);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (notOffered(people + "%") > 0) {  // the running check (perhaps the timer's) ends in a moment
            assertTrue(System.nanoTime() < deadline, "every due consent offered");
            Thread.sleep(50);
        }
    }

    /**
     * A person who linked the bank again has a newer consent that lasts longer: the older one's end gets no offer while
     * the newer one has not ended, and gets it once the newer one ended. Consents with another bank do not count.
     */
    @Test
    void noOfferIsMadeForAConsentThatALongerOneWithTheSameBankOutlasts() {
        String person = "renewal-" + UUID.randomUUID();
        String ending = UUID.randomUUID().toString();
        String newer = UUID.randomUUID().toString();
        String otherBank = UUID.randomUUID().toString();
        tx(() -> watch.authorised(ending, person, "sandbox-bank", Instant.now().plus(Duration.ofDays(20))));
        tx(() -> watch.authorised(newer, person, "sandbox-bank", Instant.now().plus(Duration.ofDays(200))));
        tx(() -> watch.authorised(otherBank, person, "other-bank", Instant.now().plus(Duration.ofDays(21))));
        background.call(() -> renewals.offerDue(Duration.ofDays(30))).await().atMost(Duration.ofSeconds(30));
        assertFalse(offered(ending), "outlasted by the newer consent with the same bank");
        assertTrue(offered(otherBank), "a consent with another bank is not outlasted by it");

        tx(() -> watch.ended(newer));
        background.call(() -> renewals.offerDue(Duration.ofDays(30))).await().atMost(Duration.ofSeconds(30));
        assertTrue(offered(ending), "once the newer one ended, the older one's end is offered");
    }

    private boolean offered(String consentId) {
        long n = tx(() -> Panache.getSession().chain(s -> s.createNativeQuery("SELECT count(*) FROM consent_expiries"
                + " WHERE consent_id = :id AND offered_at IS NOT NULL", Long.class).setParameter("id", consentId).getSingleResult()));
        return n == 1;
    }

    /** Consents of people whose sub is LIKE {@code people} that are not ended and have had no offer. */
    private long notOffered(String people) {
        return tx(() -> Panache.getSession().chain(s -> s.createNativeQuery("SELECT count(*) FROM consent_expiries"
                + " WHERE person_sub LIKE :p AND offered_at IS NULL AND NOT ended", Long.class).setParameter("p", people)
                .getSingleResult()));
    }

    /** Runs {@code work} in a transaction on its own Vert.x context, as the watcher does, and waits for it. */
    private <T> T tx(Supplier<Uni<T>> work) {
        return background.call(() -> Panache.withTransaction(work)).await().atMost(Duration.ofSeconds(10));
    }
}
