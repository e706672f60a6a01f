package io.commercechat.chat.conversation.rest;

import io.commercechat.chat.conversation.ConversationViews;
import io.commercechat.chat.conversation.ConversationViews.ConversationView;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.conversation.service.ConversationService;
import io.commercechat.chat.message.MessageViews;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestResponse.Status;

/** A person's conversations: open, list, read watermark, typing, block. */
@Path("/v1/conversations")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RequestDeadline
public class ConversationResource {

    public record OpenConversation(@NotBlank @Size(max = 64) String businessId) {}

    public record ConversationList(List<ConversationView> conversations, String nextCursor) {}

    public record MarkRead(@NotNull @Positive Long seq) {}

    public record ReadState(UUID conversationId, long readSeq) {}

    public record Typing(@NotNull Boolean typing) {}

    public record BlockState(UUID conversationId, boolean blocked) {}

    public record TypingState(UUID conversationId, boolean typing, Instant expiresAt) {}

    private final ConversationService conversations;
    private final MessageViews views;
    private final SecurityIdentity identity;

    public ConversationResource(ConversationService conversations, MessageViews views, SecurityIdentity identity) {
        this.conversations = conversations;
        this.views = views;
        this.identity = identity;
    }

    private Party me() {
        return Party.person(Caller.person(identity).subject());
    }

    /** Get-or-create: 201 when created, 200 when the person already had it (as the list shows it). */
    @POST
    @APIResponse(responseCode = "201", description = "The conversation was created",
            content = @Content(schema = @Schema(implementation = ConversationView.class)))
    @APIResponse(responseCode = "200", description = "The person already had this conversation; with its unread count"
            + " and last message, as the list shows it",
            content = @Content(schema = @Schema(implementation = ConversationView.class)))
    public Uni<RestResponse<ConversationView>> open(@NotNull @Valid OpenConversation body) {
        return conversations.open(Caller.person(identity), body.businessId())
                .map(o -> RestResponse.status(o.created() ? Status.CREATED : Status.OK, views(o.page()).get(0)));
    }

    @GET
    public Uni<ConversationList> list(@QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        int size = RestParams.limit(limit, 20);
        return conversations.list(me(), cursor, size).map(page -> new ConversationList(views(page), page.nextCursor()));
    }

    @GET
    @Path("/{id}")
    public Uni<ConversationView> get(@PathParam("id") String id) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        return conversations.one(me(), conversationId).map(page -> views(page).get(0));
    }

    private List<ConversationView> views(ConversationService.Page page) {
        return page.conversations().stream().map(c -> ConversationViews.forPerson(c,
                page.businesses().get(c.businessId), page.unread().getOrDefault(c.id, 0L),
                page.latest().containsKey(c.id) ? views.forPerson(page.latest().get(c.id)) : null)).toList();
    }

    @POST
    @Path("/{id}/read")
    public Uni<ReadState> read(@PathParam("id") String id, @NotNull @Valid MarkRead body) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        return conversations.markRead(me(), conversationId, body.seq()).map(seq -> new ReadState(conversationId, seq));
    }

    @PUT
    @Path("/{id}/typing")
    public Uni<TypingState> typing(@PathParam("id") String id, @NotNull @Valid Typing body) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        return conversations.typing(me(), conversationId, body.typing())
                .map(expires -> new TypingState(conversationId, body.typing(), body.typing() ? expires : null));
    }

    @PUT
    @Path("/{id}/block")
    public Uni<BlockState> block(@PathParam("id") String id) {
        return setBlocked(id, true);
    }

    @DELETE
    @Path("/{id}/block")
    public Uni<BlockState> unblock(@PathParam("id") String id) {
        return setBlocked(id, false);
    }

    private Uni<BlockState> setBlocked(String id, boolean blocked) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        return conversations.setBlocked(me(), conversationId, blocked).map(c -> new BlockState(c.id, c.blocked));
    }
}
