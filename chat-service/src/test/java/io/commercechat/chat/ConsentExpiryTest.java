package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.chat.background.BackgroundWork;
import io.commercechat.chat.consent.repository.ConsentWatchRepository;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Authorised consents remembered for the renewal offer: an event whose ids this service cannot store is passed over
 * instead of failing, so the consent event stream never stops at it (and later revocations still remove cards).
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class ConsentExpiryTest {

    @Inject
    ConsentWatchRepository watch;

    @Inject
    BackgroundWork background;

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

    /** Runs {@code work} in a transaction on its own Vert.x context, as the watcher does, and waits for it. */
    private <T> T tx(Supplier<Uni<T>> work) {
        return background.call(() -> Panache.withTransaction(work)).await().atMost(Duration.ofSeconds(10));
    }
}
