package io.commercechat.sandbox.agent;

import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.sandbox.client.BusinessMessagingClient;
import io.commercechat.sandbox.client.PartnerTokens;
import io.commercechat.sandbox.config.SandboxConfig;
import io.grpc.StatusRuntimeException;
import io.quarkus.oidc.client.OidcClientException;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The bank's inbox at chat-service, as seen by the agent console: one
 * {@code BusinessMessaging.Subscribe} stream with a partner token of {@code sandbox-bank}, started
 * when the console is first used. It remembers the last processed position (in memory: this is
 * the sandbox) and, when the stream breaks, subscribes again from there with exponential backoff; when the stream's
 * token expires (chat-service ends every stream then), at once with a new one.
 * Recent events are kept in a bounded buffer so a browser that reconnects with Last-Event-ID
 * misses nothing; listeners (the SSE connections) get events in position order.
 */
@ApplicationScoped
public class AgentInbox {

    private static final Logger LOG = Logger.getLogger(AgentInbox.class);

    public static final String BUSINESS = PartnerTokens.BANK;

    /**
     * A stream open this long had been accepted: chat-service refuses a token at once, and ends a stream for its token's
     * expiry only after its clock skew (30 s). Also how often, at most, the inbox subscribes again without waiting.
     */
    static final Duration ESTABLISHED = Duration.ofSeconds(10);

    /** Where the subscription stands, for the console's status line. */
    public record Status(String upstream, long lastPosition, String detail) {}

    /** Receives events and status changes; called under the inbox's lock, so it must not block. */
    public interface Listener {
        void event(InboxEvent event);

        void status(Status status);

        /** What the listener shows is of another history or incomplete: reload it, and accept positions from 1 again. */
        void resync(String reason);
    }

    private final BusinessMessagingClient messaging;
    private final Clock clock;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int bufferSize;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-inbox-reconnect");
        t.setDaemon(true);
        return t;
    });
    private final Set<Listener> listeners = new CopyOnWriteArraySet<>();
    private final ArrayDeque<InboxEvent> recent = new ArrayDeque<>();

    // guarded by this
    private boolean started;
    private boolean stopped;
    private long lastPosition;
    private long generation;
    private Duration backoff;
    private Instant subscribedAt;
    private Cancellable current;
    private Status status = new Status("idle", 0, "not subscribed yet");

    public AgentInbox(BusinessMessagingClient messaging, SandboxConfig config, Clock clock) {
        this.messaging = messaging;
        this.clock = clock;
        this.initialBackoff = config.agent().reconnectInitialBackoff();
        this.maxBackoff = config.agent().reconnectMaxBackoff();
        this.bufferSize = Math.max(1, config.agent().replayBuffer());
        this.backoff = initialBackoff;
    }

    /** Starts the subscription once (the console's first request). */
    public synchronized void ensureStarted() {
        if (!started && !stopped) {
            started = true;
            subscribe();
        }
    }

    public synchronized Status status() {
        return status;
    }

    /**
     * Registers a listener and hands it, atomically, every buffered event after {@code afterPosition}
     * (so nothing is lost or repeated between replay and live events); a negative position means
     * live events only. Answers false when events after that position have already left the buffer
     * (the console should reload what it shows).
     */
    public synchronized boolean listen(Listener listener, long afterPosition) {
        boolean complete = afterPosition < 0 || recent.isEmpty() || afterPosition >= recent.peekFirst().getPosition() - 1;
        if (afterPosition >= 0) {
            for (InboxEvent e : recent) {
                if (e.getPosition() > afterPosition) {
                    listener.event(e);
                }
            }
        }
        listener.status(status);
        listeners.add(listener);
        return complete;
    }

    public void unlisten(Listener listener) {
        listeners.remove(listener);
    }

    private synchronized void subscribe() {
        if (stopped) {
            return;
        }
        long gen = ++generation;
        long after = lastPosition;
        LOG.debugf("subscribing to the %s inbox after position %d", BUSINESS, after);
        setStatus("live", "subscribed to chat-service");
        subscribedAt = clock.instant();
        current = messaging.subscribe(BUSINESS, after).subscribe().with(
                response -> received(gen, response),
                failure -> broken(gen, failure),
                () -> broken(gen, null));
    }

    private synchronized void received(long gen, SubscribeResponse response) {
        if (gen != generation || !response.hasEvent()) {
            return;
        }
        InboxEvent event = response.getEvent();
        if (event.getPosition() <= lastPosition) {
            return; // already processed (exactly once, even if a server repeats itself)
        }
        lastPosition = event.getPosition();
        backoff = initialBackoff;
        recent.addLast(event);
        while (recent.size() > bufferSize) {
            recent.removeFirst();
        }
        status = new Status(status.upstream(), lastPosition, status.detail());
        for (Listener l : listeners) {
            try {
                l.event(event);
            } catch (RuntimeException e) {
                LOG.debugf("dropping an agent console listener (%s)", e.getClass().getSimpleName());
                listeners.remove(l);
            }
        }
    }

    private synchronized void broken(long gen, Throwable failure) {
        if (gen != generation || stopped) {
            return;
        }
        boolean established = !clock.instant().isBefore(subscribedAt.plus(ESTABLISHED));
        if (established) {
            backoff = initialBackoff;  // it had worked: this end is a first failure, not one more of a series
        }
        if (established && failure instanceof StatusRuntimeException s
                && s.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED) {
            // the stream's token expired (a planned end); it comes a clock skew after the expiry, so PartnerTokens no
            // longer holds that token and the new stream gets a new one
            LOG.debugf("the %s inbox stream's token expired; subscribing again after position %d", BUSINESS, lastPosition);
            setStatus("reconnecting", "renewing the partner token");
            scheduler.execute(this::subscribe);
            return;
        }
        Duration wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
        String why = describe(failure);
        if (failure instanceof StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT) {
            // the position is beyond the inbox's end (chat-service's database was reset): what the console holds is
            // of another history, so it starts over from the beginning
            LOG.infof("chat-service refused position %d of the %s inbox (%s); starting over from the beginning",
                    lastPosition, BUSINESS, s.getStatus().getDescription());
            lastPosition = 0;
            recent.clear();
            // the positions start again from 1: open browsers would take the new events for ones they already have
            for (Listener l : new ArrayList<>(listeners)) {
                try {
                    l.resync("chat-service's inbox started over; reload the conversations");
                } catch (RuntimeException e) {
                    listeners.remove(l);
                }
            }
        }
        LOG.infof("the %s inbox stream ended (%s); subscribing again after position %d in %d ms", BUSINESS, why,
                lastPosition, wait.toMillis());
        setStatus("reconnecting", why + "; retrying in " + Math.max(1, wait.toSeconds()) + " s");
        scheduler.schedule(this::subscribe, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String describe(Throwable failure) {
        if (failure == null) {
            return "chat-service closed the stream";
        }
        if (failure instanceof StatusRuntimeException s) {
            return switch (s.getStatus().getCode()) {
                case UNAVAILABLE, DEADLINE_EXCEEDED -> "chat-service is unreachable (" + s.getStatus().getCode() + ")";
                default -> "chat-service answered " + s.getStatus().getCode();
            };
        }
        if (failure instanceof OidcClientException) {
            return "could not obtain a partner token for " + BUSINESS + " (identity provider unreachable?)";
        }
        return "the stream failed (" + failure.getClass().getSimpleName() + ")";
    }

    private void setStatus(String upstream, String detail) {
        status = new Status(upstream, lastPosition, detail);
        List<Listener> all = new ArrayList<>(listeners);
        for (Listener l : all) {
            try {
                l.status(status);
            } catch (RuntimeException e) {
                listeners.remove(l);
            }
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        synchronized (this) {
            stopped = true;
            if (current != null) {
                current.cancel();
            }
        }
        scheduler.shutdownNow();
    }
}
