package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.inbox.InboxPosition;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The notifications that arrive while this replica writes a batch of sends are held until the
 * batch's events are handed to the streams (InboxFeed.writing / written), so a stream does not read
 * back an event it is about to be handed, and nothing held is lost. Streams poll only every minute
 * here, so what a stream emits came from a notification or a hand-off.
 */
@QuarkusTest
@TestProfile(HeldNotificationsTest.RarePolls.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class HeldNotificationsTest extends ChatTestSupport {

    public static class RarePolls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.stream-poll-interval", "PT60S");
        }
    }

    @Inject
    InboxFeed feed;

    @Inject
    Pool pool;

    @Inject
    io.micrometer.core.instrument.MeterRegistry metrics;

    @Test
    void aNotificationDuringABatchWaitsForItsHandOffAndCostsNoRead() throws Exception {
        String participant = "p:" + newPerson();
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        Cancellable stream = follow(participant, got);
        ChatMessage handed = InboxFeedTest.message();
        double reads;
        try {
            feed.writing();
            try {
                reads = streamReads();
                // the batch's event commits and is announced before its answer is handed over
                commitAndNotify(participant, 3);
                awaitHeld();
                feed.committed(List.of(new InboxPosition(participant, 3)), handed);
            } finally {
                feed.written();
            }
            InboxFeedTest.awaitPosition(got, 3);
            Thread.sleep(500);  // a read the notification caused would have emitted the stored row first
        } finally {
            stream.cancel();
        }
        assertEquals(1, got.size(), "position 3 once");
        assertSame(handed, got.get(0).message(), "emitted as handed, not read back");
        assertEquals(reads, streamReads(), "the held notification cost no read");
    }

    @Test
    void aHeldNotificationOfAnEventNotHandedOverGoesThroughWhenTheBatchIsWritten() throws Exception {
        String participant = "p:" + newPerson();
        List<InboxEntry> got = Collections.synchronizedList(new ArrayList<>());
        Cancellable stream = follow(participant, got);
        try {
            feed.writing();
            try {
                commitAndNotify(participant, 3);  // another replica's event: nobody here hands it over
                awaitHeld();
                Thread.sleep(200);
                assertTrue(got.isEmpty(), "held while the batch is written");
            } finally {
                feed.written();
            }
            InboxFeedTest.awaitPosition(got, 3);  // well before the next poll
        } finally {
            stream.cancel();
        }
        assertEquals(1, got.size());
        assertEquals(InboxEntry.TYPING, got.get(0).kind(), "read from the database");
    }

    /**
     * A stream that has done its first read and hears notifications, with nothing in {@code got}: position 1 shows
     * the first read is done (it read it, or a notification brought it), position 2, committed after that, can
     * only come from a notification (the next poll is a minute away). The tests go on at position 3.
     */
    private Cancellable follow(String participant, List<InboxEntry> got) throws InterruptedException {
        Cancellable stream = feed.follow(participant, 0, 16).subscribe().with(got::add);
        commitAndNotify(participant, 1);
        InboxFeedTest.awaitPosition(got, 1);
        commitAndNotify(participant, 2);
        InboxFeedTest.awaitPosition(got, 2);
        got.clear();
        return stream;
    }

    /** Waits until this replica holds a notification (it has arrived while a batch is written). */
    private void awaitHeld() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (metrics.get("chat.inbox.notifications.held").gauge().value() < 1) {
            assertTrue(System.nanoTime() < deadline, "the notification arrived and is held");
            Thread.sleep(10);
        }
    }

    private double streamReads() {
        return metrics.get("chat.inbox.stream.reads").functionCounter().count();
    }

    /** A typing event committed with its notification, as another writer would. */
    private void commitAndNotify(String participant, long position) {
        pool.preparedQuery("WITH e AS (INSERT INTO inbox_events (participant, position, kind, occurred_at, payload)"
                + " VALUES ($1, $2, 'typing', now(), '{}') RETURNING participant, position)"
                + " SELECT pg_notify('" + InboxFeed.CHANNEL + "', e.position || ' ' || e.participant) FROM e")
                .execute(Tuple.of(participant, position)).await().atMost(Duration.ofSeconds(10));
    }
}
