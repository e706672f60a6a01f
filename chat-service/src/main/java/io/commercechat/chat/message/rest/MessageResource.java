package io.commercechat.chat.message.rest;

import io.commercechat.chat.assistant.service.BankAssistant;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.MessageViews;
import io.commercechat.chat.message.MessageViews.MessageView;
import io.commercechat.chat.message.service.MessageService;
import io.commercechat.chat.rest.OwnDeadline;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestResponse.Status;

/** A person's messages in one conversation. */
// Same root as ConversationResource: JAX-RS then answers a wrong method with 405, not 404.
@Path("/v1/conversations")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RequestDeadline
public class MessageResource {

    /**
     * A person writes text; clientMessageId makes retries safe. A reply to a quick reply or postback button is its
     * label as text and its payload as payload.
     */
    public record SendMessage(@NotBlank @Size(max = MessageService.MAX_CLIENT_MESSAGE_ID) String clientMessageId,
            @NotBlank @Size(max = MessageContents.MAX_BODY) String text, @Size(max = MessageContents.MAX_PAYLOAD) String payload) {}

    public record MessagePage(List<MessageView> messages, boolean hasMore) {}

    private final MessageService messages;
    private final MessageViews views;
    private final BankAssistant assistant;
    private final SecurityIdentity identity;

    public MessageResource(MessageService messages, MessageViews views, BankAssistant assistant, SecurityIdentity identity) {
        this.messages = messages;
        this.views = views;
        this.assistant = assistant;
        this.identity = identity;
    }

    /**
     * History: {@code before} = seq (newest first, below it), {@code after} = seq (oldest first,
     * above it; {@code after=0} from the first message); neither = the newest page.
     */
    @GET
    @Path("/{id}/messages")
    public Uni<MessagePage> history(@PathParam("id") String id, @QueryParam("before") String before,
            @QueryParam("after") String after, @QueryParam("limit") String limit) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        long b = RestParams.nonNegative(before, "before");
        long a = after == null || after.isEmpty() ? MessageService.NOT_AFTER : RestParams.nonNegative(after, "after");
        int size = RestParams.limit(limit, 50);
        return messages.history(person(), conversationId, b, a, size)
                .map(h -> new MessagePage(h.messages().stream().map(views::forPerson).toList(), h.hasMore()));
    }

    /** 201 for the first send; 200 with the first result for a retry of the same message. */
    @POST
    @Path("/{id}/messages")
    @APIResponse(responseCode = "201", description = "The message was sent",
            content = @Content(schema = @Schema(implementation = MessageView.class)))
    @APIResponse(responseCode = "200", description = "A retry: the message first sent with this clientMessageId")
    @OwnDeadline
    public Uni<RestResponse<MessageView>> send(@PathParam("id") String id, @NotNull @Valid SendMessage body) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        var content = MessageContents.text(body.text(), body.payload());
        var out = new MessageService.Outgoing(conversationId, body.clientMessageId(), content,
                UpdateTag.UPDATE_TAG_UNSPECIFIED, ChatMessage.Visibility.EVERYONE);
        String request = content.getText().getPayload().isEmpty() ? body.text() : content.getText().getPayload();
        return messages.send(person(), out)
                // in bank conversations the assistant answers its requests after this commit; a retry too, when its
                // first send has no answer yet
                .invoke(sent -> assistant.onPersonMessage(sent.message(), sent.duplicate(), request,
                        Caller.forwardedToken(identity)))
                .map(sent -> RestResponse.status(sent.duplicate() ? Status.OK : Status.CREATED, views.forPerson(sent.message())));
    }

    /**
     * "Share with <bank>": one account card becomes visible to the bank of this conversation
     * (never to a shop: 409 bank-data-not-for-shops; not while the person blocks the bank: 409 business-blocked; not
     * once the card's consent has ended or expired: 403 consent-ended; not unless the consent includes help from the
     * bank in chat: 403 sharing-not-consented). Sharing again changes nothing.
     */
    @POST
    @Path("/{id}/messages/{messageId}/share")
    public Uni<MessageView> share(@PathParam("id") String id, @PathParam("messageId") String messageId) {
        UUID conversationId = RestParams.uuid(id, "conversation id");
        UUID message = RestParams.uuid(messageId, "message id");
        return messages.share(person(), Caller.forwardedToken(identity), conversationId, message).map(views::forPerson);
    }

    private Party person() {
        return Party.person(Caller.person(identity).subject());
    }
}
