package io.commercechat.chat.inbox.rest;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.inbox.repository.InboxRepository;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.chat.inbox.service.InboxLog;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.chat.security.TokenDeadline;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

/**
 * The person's inbox as Server-Sent Events. Each event's id is its inbox position: a client that
 * reconnects with {@code Last-Event-ID} (or {@code ?after=}) gets every later event once, in
 * order, from any replica. Event names: message, read, typing, redacted, conversation.
 *
 * <p>{@code ?after=now} (without {@code Last-Event-ID}) starts at the inbox's end: a client that has no
 * position yet (a new device) is not sent the whole history, which it reads page by page over REST.
 * Its first event, {@code ready}, carries the position it starts from as its id, so the client can
 * resume from there, and tells it to read its snapshot now: whatever the snapshot misses comes after
 * that position on the stream. A {@code Last-Event-ID} beyond the inbox's end is answered the same way.
 *
 * <p>One person holds at most {@code chat.streams-per-person} streams on a replica; the next is answered 429.
 */
@Path("/v1/events")
@RolesAllowed("user")
public class EventResource {

    /** The {@code after} value that starts a stream at the inbox's end. */
    static final String NOW = "now";

    private final InboxFeed feed;
    private final InboxLog inboxLog;
    private final InboxRepository inboxes;
    private final ChatConfig config;
    private final SecurityIdentity identity;
    private final TokenDeadline tokenDeadline;

    public EventResource(InboxFeed feed, InboxLog inboxLog, InboxRepository inboxes, ChatConfig config,
            SecurityIdentity identity, TokenDeadline tokenDeadline) {
        this.tokenDeadline = tokenDeadline;
        this.feed = feed;
        this.inboxLog = inboxLog;
        this.inboxes = inboxes;
        this.config = config;
        this.identity = identity;
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@HeaderParam("Last-Event-ID") String lastEventId, @QueryParam("after") String after,
            @Context Sse sse) {
        boolean resuming = lastEventId != null && !lastEventId.isBlank();
        String inbox = Caller.person(identity).personInbox();
        boolean atEnd = !resuming && NOW.equals(after);
        long asked = atEnd ? 0 : resuming ? RestParams.nonNegative(lastEventId.trim(), "Last-Event-ID")
                : RestParams.nonNegative(after, "after");
        // answered as a problem (429) while nothing is sent yet; open() below holds the limit under a race
        feed.requireRoom(inbox, config.streamsPerPerson());
        // The end is read before "ready" is sent: a snapshot the client reads on "ready" is never older than it. A
        // position beyond the end (kept across a restored database) starts there too: "ready" tells the client to
        // read its snapshot again, where a stream after that position would miss every event until the inbox got there.
        return untilTokenEnds(Multi.createFrom().uni(inboxes.head(inbox)).onItem().transformToMultiAndConcatenate(end -> {
            boolean fromEnd = atEnd || asked > end;
            long from = fromEnd ? end : asked;
            // A first line flushes the response headers, so the client knows it is connected.
            OutboundSseEvent first = fromEnd ? ready(from, sse) : sse.newEventBuilder().comment("connected").build();
            return Multi.createFrom().resource(() -> feed.open(inbox, from, config.streamsPerPerson(), InboxFeed.ALWAYS_READY),
                            following -> Multi.createBy().concatenating().streams(Multi.createFrom().item(first), live(following, sse)))
                    .withFinalizer(InboxFeed.Following::close)
                    // opened at the same moment as others past the limit: the headers are out, so the stream says so and ends
                    .onFailure(InboxFeed::refusedForALimit).recoverWithItem(
                            sse.newEventBuilder().comment("too many streams").reconnectDelay(30_000).build());
        }), sse);
    }

    /**
     * The stream ends when the token it was opened with is no longer accepted: a leaked or revoked session does not
     * keep one open for ever. The last line asks the client to reconnect at once (retry: 0), with a new token and
     * the Last-Event-ID it has, so nothing is missed.
     */
    private Multi<OutboundSseEvent> untilTokenEnds(Multi<OutboundSseEvent> stream, Sse sse) {
        return tokenDeadline.until(identity, stream, () -> Multi.createFrom().item(
                sse.newEventBuilder().comment("token expired").reconnectDelay(0).build()));
    }

    private static OutboundSseEvent ready(long position, Sse sse) {
        return sse.newEventBuilder().id(Long.toString(position)).name("ready").mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, "{\"position\":" + position + "}").build();
    }

    /** The stream's events, with heartbeats while it is idle. */
    private Multi<OutboundSseEvent> live(InboxFeed.Following following, Sse sse) {
        Multi<OutboundSseEvent> events = following.events().map(e -> sse.newEventBuilder()
                .id(Long.toString(e.position()))
                .name(e.kind())
                .mediaType(MediaType.TEXT_PLAIN_TYPE) // the payload is JSON text already
                .data(String.class, inboxLog.forPerson(e))
                .build());
        Multi<OutboundSseEvent> heartbeats = Multi.createFrom().ticks().every(config.heartbeatInterval())
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        return Multi.createBy().merging().streams(events, heartbeats);
    }
}
