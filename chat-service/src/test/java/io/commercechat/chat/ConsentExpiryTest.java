package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.assistant.service.RenewalOffers;
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

    @Inject
    RenewalOffers renewals;

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
