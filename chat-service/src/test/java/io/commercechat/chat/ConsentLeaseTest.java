package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The consent event lease: with several replicas on one database exactly one follows
 * consent-service's event stream; another takes over only once the holder's lease has run out, and
 * a holder that lost its lease can no longer move the stored position.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class ConsentLeaseTest {

    private static final Duration LEASE = Duration.ofSeconds(60);

    @Inject
    ConsentWatchRepository watch;

    @Inject
    BackgroundWork background;

    /** Where this application's own watcher was: given back afterwards, so that no consent event is skipped. */
    private long reached;

    @BeforeEach
    void freeLease() {
        // "replica-a" takes over in the same transaction, before this application's own watcher can
        reached = tx(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                        "SELECT position FROM consent_event_cursor FOR UPDATE", Long.class).getSingleResult())
                .call(() -> Panache.getSession().chain(s -> s.createNativeQuery("UPDATE consent_event_cursor SET holder = NULL,"
                        + " lease_until = '-infinity', position = 7").executeUpdate()))
                .call(() -> watch.acquire("replica-a", LEASE)));
    }

    @Test
    void oneReplicaFollowsAtATimeAndAnotherTakesOverWhenTheLeaseRunsOut() {
        assertEquals(7L, tx(() -> watch.acquire("replica-a", LEASE)), "a holds the lease");
        assertNull(tx(() -> watch.acquire("replica-b", LEASE)), "b must not take a lease a holds");
        assertNull(tx(() -> watch.lockPosition("replica-b")));
        assertEquals(7L, tx(() -> watch.lockPosition("replica-a")));
        tx(() -> watch.lockPosition("replica-a").chain(p -> watch.advance(p + 1)));
        assertEquals(8L, tx(() -> watch.acquire("replica-a", LEASE)), "the holder extends its lease");

        // replica-a stops renewing (it died, or its database connection hangs) and its lease runs out. The lapse
        // and the next acquire share one transaction: this test application runs its own watcher (a third
        // replica), which must not win the race for the free lease.
        assertEquals(8L, tx(() -> lapse().chain(() -> watch.acquire("replica-b", LEASE))), "b takes over where a stopped");
        assertNull(tx(() -> watch.lockPosition("replica-a")), "a lapsed holder can no longer apply events");
        assertNull(tx(() -> watch.acquire("replica-a", LEASE)));

        // a replica that shuts down hands over at once
        assertEquals(8L, tx(() -> watch.release("replica-b").chain(() -> watch.acquire("replica-a", LEASE))));
        assertNull(tx(() -> watch.acquire("replica-b", LEASE)));
    }

    @AfterEach
    void handBack() {
        // this application's own watcher follows again (other tests need it)
        tx(() -> Panache.getSession().chain(s -> s.createNativeQuery("UPDATE consent_event_cursor SET holder = NULL,"
                + " lease_until = '-infinity', position = :reached").setParameter("reached", reached).executeUpdate()));
    }

    /** The lease runs out now (as it would after {@link #LEASE} without renewal). */
    private Uni<Integer> lapse() {
        return Panache.getSession().chain(s -> s.createNativeQuery(
                "UPDATE consent_event_cursor SET lease_until = now() - interval '1 second'").executeUpdate());
    }

    /** Runs {@code work} in a transaction on its own Vert.x context, as the watcher does, and waits for it. */
    private <T> T tx(Supplier<Uni<T>> work) {
        return background.call(() -> Panache.withTransaction(work)).await().atMost(Duration.ofSeconds(10));
    }
}
