package io.commercechat.chat.inbox.rest;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.chat.inbox.service.InboxLog;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
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
 */
@Path("/v1/events")
@RolesAllowed("user")
public class EventResource {

    private final InboxFeed feed;
    private final InboxLog inboxLog;
    private final ChatConfig config;
    private final SecurityIdentity identity;

    public EventResource(InboxFeed feed, InboxLog inboxLog, ChatConfig config, SecurityIdentity identity) {
        this.feed = feed;
        this.inboxLog = inboxLog;
        this.config = config;
        this.identity = identity;
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@HeaderParam("Last-Event-ID") String lastEventId, @QueryParam("after") String after,
            @Context Sse sse) {
        long from = lastEventId != null && !lastEventId.isBlank() ? RestParams.nonNegative(lastEventId.trim(), "Last-Event-ID")
                : RestParams.nonNegative(after, "after");
        String inbox = Caller.person(identity).personInbox();
        Multi<OutboundSseEvent> events = feed.follow(inbox, from).map(e -> sse.newEventBuilder()
                .id(Long.toString(e.position()))
                .name(e.kind())
                .mediaType(MediaType.TEXT_PLAIN_TYPE) // the payload is JSON text already
                .data(String.class, inboxLog.forPerson(e))
                .build());
        Multi<OutboundSseEvent> heartbeats = Multi.createFrom().ticks().every(config.heartbeatInterval())
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        // A first comment line flushes the response headers, so the client knows it is connected.
        return Multi.createBy().concatenating().streams(
                Multi.createFrom().item(sse.newEventBuilder().comment("connected").build()),
                Multi.createBy().merging().streams(events, heartbeats));
    }
}
