package io.commercechat.sandbox.agent;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.sandbox.client.BusinessMessagingClient;
import io.commercechat.sandbox.config.MovableClock;
import io.commercechat.sandbox.config.SandboxConfigs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the inbox subscribes again, against a chat-service whose streams the test ends, on a clock it moves: the waits of
 * a 30 s maximum backoff (as outside tests) are real, how long a stream was open is the clock's.
 */
class AgentInboxTest {

    private static final Duration SOON = Duration.ofSeconds(1);
    /** A partner token's life (300 s) and chat-service's clock skew (30 s): how long a quiet stream stays open. */
    private static final Duration TOKEN_LIFE = Duration.ofSeconds(330);

    private final MovableClock clock = new MovableClock();
    private final Chat chat = new Chat();
    private final AgentInbox inbox = new AgentInbox(chat, SandboxConfigs.with(Map.of(
            "sandbox.agent.reconnect-initial-backoff", "200ms", "sandbox.agent.reconnect-max-backoff", "30s")), clock);

    /** chat-service's BusinessMessaging as the inbox reaches it: every Subscribe is a stream the test ends. */
    private static final class Chat extends BusinessMessagingClient {
        final BlockingQueue<MultiEmitter<? super SubscribeResponse>> streams = new LinkedBlockingQueue<>();

        Chat() {
            super(null, null, null);
        }

        @Override
        public Multi<SubscribeResponse> subscribe(String business, long afterPosition) {
            return Multi.createFrom().<SubscribeResponse>emitter(streams::add);
        }

        /** The next Subscribe, if the inbox makes one within {@code time}; null otherwise. */
        MultiEmitter<? super SubscribeResponse> subscribed(Duration time) throws InterruptedException {
            return streams.poll(time.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @AfterEach
    void stopInbox() {
        inbox.onStop(null);
    }

    @Test
    void aQuietStreamEndedByItsTokensExpiryIsFollowedAtOnceByANewOneAtEveryRenewal() throws Exception {
        inbox.ensureStarted();
        MultiEmitter<? super SubscribeResponse> stream = chat.subscribed(SOON);
        for (int renewal = 1; renewal <= 6; renewal++) {
            assertNotNull(stream, "renewal " + renewal + ": the inbox is subscribed");
            clock.advance(TOKEN_LIFE);  // no event in all that time
            stream.fail(tokenExpired());
            stream = chat.subscribed(SOON);
        }
        assertNotNull(stream, "after the last renewal too");
    }

    /** A token refused straight away (it never had a stream) must not make the inbox subscribe in a tight loop. */
    @Test
    void aTokenRefusedAtOnceIsTriedAgainAfterAGrowingWait() throws Exception {
        inbox.ensureStarted();
        MultiEmitter<? super SubscribeResponse> stream = chat.subscribed(SOON);
        for (Duration backoff : new Duration[] {Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(800)}) {
            assertNotNull(stream);
            stream.fail(tokenExpired());
            assertNull(chat.subscribed(backoff.minusMillis(100)), "no new subscription before " + backoff.toMillis() + " ms");
            stream = chat.subscribed(SOON);
        }
        assertNotNull(stream);
    }

    @Test
    void aStreamThatHadBeenOpenForAWhileIsRetriedAfterTheInitialWaitWhateverCameBefore() throws Exception {
        inbox.ensureStarted();
        MultiEmitter<? super SubscribeResponse> stream = chat.subscribed(SOON);
        for (int outage = 0; outage < 4; outage++) {  // chat-service unreachable: the waits grow to 1.6 s, the next is 3.2 s
            assertNotNull(stream);
            stream.fail(unavailable());
            stream = chat.subscribed(Duration.ofSeconds(5));
        }
        assertNotNull(stream);
        clock.advance(Duration.ofMinutes(3));  // then it was up for a while, with no event
        stream.fail(unavailable());
        assertNotNull(chat.subscribed(SOON), "a new outage starts at the initial wait (200 ms)");
    }

    private static StatusRuntimeException tokenExpired() {
        return Status.UNAUTHENTICATED.withDescription("the token this stream was opened with has expired: subscribe again"
                + " with a new token after your last position").asRuntimeException();
    }

    private static StatusRuntimeException unavailable() {
        return Status.UNAVAILABLE.withDescription("chat-service restarting").asRuntimeException();
    }
}
