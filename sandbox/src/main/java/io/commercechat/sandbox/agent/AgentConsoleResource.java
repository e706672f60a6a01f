package io.commercechat.sandbox.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.commercechat.proto.partner.v1.GetHistoryRequest;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.QuickReplies;
import io.commercechat.proto.partner.v1.QuickReply;
import io.commercechat.proto.partner.v1.Text;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.sandbox.client.BusinessMessagingClient;
import io.commercechat.sandbox.rest.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The bank agent console of {@code sandbox-bank} (a development tool without a login of its own:
 * {@link AgentConsoleGuard} keeps it off unless enabled, on loopback only, and sets its security
 * headers). Reads and writes go to chat-service's BusinessMessaging with the bank's partner token;
 * live events come from {@link AgentInbox} as Server-Sent Events.
 */
@Path("/agent")
public class AgentConsoleResource {

    private static final Logger LOG = Logger.getLogger(AgentConsoleResource.class);
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final String BANK = AgentInbox.BUSINESS;
    private static final long HEARTBEAT_MILLIS = 20_000;

    private final BusinessMessagingClient messaging;
    private final AgentInbox inbox;
    private final Vertx vertx;

    public AgentConsoleResource(BusinessMessagingClient messaging, AgentInbox inbox, Vertx vertx) {
        this.messaging = messaging;
        this.inbox = inbox;
        this.vertx = vertx;
    }

    public record QuickReplyBody(String label, String payload) {}

    /** {@code updateTag}: absent, {@code ACCOUNT_UPDATE} or {@code HUMAN_AGENT}. */
    public record SendBody(String clientMessageId, String text, List<QuickReplyBody> quickReplies, String updateTag) {}

    public record ReadBody(Long seq) {}

    public record TypingBody(Boolean typing) {}

    /** The console page (also at /agent/ and /agent/index.html); its security headers come from the guard. */
    @GET
    @Produces(MediaType.TEXT_HTML)
    public Response page() {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream("META-INF/resources/agent/index.html")) {
            if (in == null) {
                throw ProblemException.notFound("the agent console page is missing from this build");
            }
            return Response.ok(new String(in.readAllBytes(), StandardCharsets.UTF_8), MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    public AgentInbox.Status status() {
        inbox.ensureStarted();
        return inbox.status();
    }

    /**
     * Live inbox events ({@code event: inbox}, {@code id} = inbox position, data = the InboxEvent
     * as proto JSON), subscription state ({@code event: status}) and {@code event: resync} when
     * events after the browser's Last-Event-ID are no longer buffered or the inbox started over
     * (the page then reloads and forgets the last position it applied). {@code after} (or the
     * Last-Event-ID header an EventSource sends on reconnect) replays buffered events after it.
     */
    @GET
    @Path("events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void events(@Context SseEventSink sink, @Context Sse sse, @HeaderParam("Last-Event-ID") String lastEventId,
            @QueryParam("after") String after) {
        long from = parsePosition(lastEventId != null && !lastEventId.isBlank() ? lastEventId : after);
        inbox.ensureStarted();
        SseRelay relay = new SseRelay(sink, sse);
        boolean complete = inbox.listen(relay, from);
        if (!complete) {
            relay.resync("events after " + from + " are no longer buffered; reload the conversations");
        }
        relay.timer = vertx.setPeriodic(HEARTBEAT_MILLIS, id -> {
            if (relay.closed.get()) {
                vertx.cancelTimer(id);
            } else {
                relay.send(sse.newEventBuilder().comment("keep-alive").build());
            }
        });
    }

    @GET
    @Path("conversations")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<String> conversations(@QueryParam("pageSize") String pageSizeParam,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        long pageSize = number(pageSizeParam, "pageSize");
        if (pageSize < 0 || pageSize > 100) {
            throw ProblemException.badRequest("pageSize must be between 1 and 100 (0 = 20)");
        }
        if (pageToken.length() > 512) {
            throw ProblemException.badRequest("pageToken is too long");
        }
        inbox.ensureStarted();
        return messaging.listConversations(BANK, (int) pageSize, pageToken).map(AgentConsoleResource::json)
                .onFailure().transform(AgentFailures::toProblem);
    }

    @GET
    @Path("conversations/{id}/history")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<String> history(@PathParam("id") String id, @QueryParam("beforeSeq") String beforeSeqParam,
            @QueryParam("afterSeq") String afterSeqParam, @QueryParam("pageSize") String pageSizeParam) {
        requireConversationId(id);
        long beforeSeq = number(beforeSeqParam, "beforeSeq");
        long afterSeq = number(afterSeqParam, "afterSeq");
        long pageSize = number(pageSizeParam, "pageSize");
        if (beforeSeq < 0 || afterSeq < 0 || (beforeSeq > 0 && afterSeq > 0)) {
            throw ProblemException.badRequest("set at most one of beforeSeq and afterSeq, as positive sequence numbers");
        }
        if (pageSize < 0 || pageSize > 100) {
            throw ProblemException.badRequest("pageSize must be between 1 and 100 (0 = 50)");
        }
        GetHistoryRequest.Builder request = GetHistoryRequest.newBuilder().setConversationId(id).setBeforeSeq(beforeSeq)
                .setPageSize((int) pageSize);
        if (afterSeqParam != null && !afterSeqParam.isBlank()) {
            request.setAfterSeq(afterSeq);  // 0 included: from the first message
        }
        return messaging.getHistory(BANK, request.build()).map(AgentConsoleResource::json).onFailure().transform(AgentFailures::toProblem);
    }

    @POST
    @Path("conversations/{id}/messages")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<String> send(@PathParam("id") String id, SendBody body) {
        requireConversationId(id);
        if (body == null) {
            throw ProblemException.badRequest("a JSON body with clientMessageId and text is required");
        }
        String clientMessageId = body.clientMessageId();
        if (clientMessageId == null || clientMessageId.isBlank() || clientMessageId.length() > 64) {
            throw ProblemException.badRequest("clientMessageId is required (1 to 64 characters, new for each message; reuse it to retry)");
        }
        String text = body.text() == null ? "" : body.text().strip();
        if (text.isEmpty() || text.length() > 4000) {
            throw ProblemException.badRequest("text is required (1 to 4000 characters)");
        }
        MessageContent content;
        if (body.quickReplies() == null || body.quickReplies().isEmpty()) {
            content = MessageContent.newBuilder().setText(Text.newBuilder().setBody(text)).build();
        } else {
            if (body.quickReplies().size() > 11) {
                throw ProblemException.badRequest("at most 11 quick replies");
            }
            QuickReplies.Builder replies = QuickReplies.newBuilder().setBody(text);
            for (QuickReplyBody option : body.quickReplies()) {
                String label = option == null || option.label() == null ? "" : option.label().strip();
                if (label.isEmpty() || label.length() > 40) {
                    throw ProblemException.badRequest("each quick reply needs a label of 1 to 40 characters");
                }
                String payload = option.payload() == null || option.payload().isBlank() ? label : option.payload().strip();
                if (payload.length() > 200) {
                    throw ProblemException.badRequest("a quick reply payload has at most 200 characters");
                }
                replies.addOptions(QuickReply.newBuilder().setLabel(label).setPayload(payload));
            }
            content = MessageContent.newBuilder().setQuickReplies(replies).build();
        }
        UpdateTag tag = updateTag(body.updateTag());
        return messaging.send(BANK, id, clientMessageId, content, tag).map(AgentConsoleResource::json)
                .onFailure().transform(AgentFailures::toProblem);
    }

    @POST
    @Path("conversations/{id}/read")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<String> markRead(@PathParam("id") String id, ReadBody body) {
        requireConversationId(id);
        if (body == null || body.seq() == null || body.seq() < 1) {
            throw ProblemException.badRequest("seq is required: the sequence number of the last message the agent has seen");
        }
        return messaging.markRead(BANK, id, body.seq()).map(AgentConsoleResource::json).onFailure().transform(AgentFailures::toProblem);
    }

    @POST
    @Path("conversations/{id}/typing")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> typing(@PathParam("id") String id, TypingBody body) {
        requireConversationId(id);
        if (body == null || body.typing() == null) {
            throw ProblemException.badRequest("typing (true or false) is required");
        }
        return messaging.setTyping(BANK, id, body.typing()).map(ignored -> Response.noContent().build())
                .onFailure().transform(AgentFailures::toProblem);
    }

    private static UpdateTag updateTag(String value) {
        if (value == null || value.isBlank()) {
            return UpdateTag.UPDATE_TAG_UNSPECIFIED;
        }
        return switch (value.strip()) {
            case "ACCOUNT_UPDATE", "UPDATE_TAG_ACCOUNT_UPDATE" -> UpdateTag.UPDATE_TAG_ACCOUNT_UPDATE;
            case "HUMAN_AGENT", "UPDATE_TAG_HUMAN_AGENT" -> UpdateTag.UPDATE_TAG_HUMAN_AGENT;
            default -> throw ProblemException.badRequest("updateTag must be ACCOUNT_UPDATE or HUMAN_AGENT (or absent)");
        };
    }

    private static void requireConversationId(String id) {
        if (id == null || id.isBlank() || id.length() > 64 || id.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw ProblemException.badRequest("the conversation id must be 1 to 64 visible ASCII characters");
        }
    }

    /**
     * A numeric query parameter (absent = 0). Parsed here: Quarkus answers an unparseable typed parameter with 404, as
     * if the path did not match.
     */
    private static long number(String value, String name) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest(name + " must be a whole number");
        }
    }

    private static long parsePosition(String value) {
        if (value == null || value.isBlank()) {
            return -1; // live events only
        }
        try {
            long position = Long.parseLong(value.strip());
            if (position < 0) {
                throw new NumberFormatException();
            }
            return position;
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest("Last-Event-ID / after must be an inbox position (a non-negative integer)");
        }
    }

    static String json(MessageOrBuilder message) {
        try {
            return JSON.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("could not print " + message.getClass().getSimpleName(), e);
        }
    }

    /** One browser connection: sends in order (each send waits for the previous), ends on the first failure. */
    private final class SseRelay implements AgentInbox.Listener {
        private final SseEventSink sink;
        private final Sse sse;
        private final AtomicBoolean closed = new AtomicBoolean();
        private CompletionStage<?> chain = CompletableFuture.completedFuture(null);
        volatile long timer = -1;

        SseRelay(SseEventSink sink, Sse sse) {
            this.sink = sink;
            this.sse = sse;
        }

        @Override
        public void event(InboxEvent event) {
            send(sse.newEventBuilder().id(Long.toString(event.getPosition())).name("inbox")
                    .mediaType(MediaType.TEXT_PLAIN_TYPE).data(json(event)).build());
        }

        @Override
        public void status(AgentInbox.Status status) {
            send(sse.newEventBuilder().name("status").mediaType(MediaType.TEXT_PLAIN_TYPE)
                    .data("{\"upstream\":\"" + status.upstream() + "\",\"lastPosition\":" + status.lastPosition()
                            + ",\"detail\":" + quote(status.detail()) + "}").build());
        }

        @Override
        public void resync(String reason) {
            send(sse.newEventBuilder().name("resync").mediaType(MediaType.TEXT_PLAIN_TYPE)
                    .data("{\"reason\":" + quote(reason) + "}").build());
        }

        synchronized void send(OutboundSseEvent event) {
            if (closed.get()) {
                return;
            }
            if (sink.isClosed()) {
                close();
                return;
            }
            chain = chain.thenCompose(ignored -> closed.get() ? CompletableFuture.completedFuture(null) : sink.send(event))
                    .exceptionally(failure -> {
                        LOG.debugf("agent console connection closed (%s)", failure.getClass().getSimpleName());
                        close();
                        return null;
                    });
        }

        void close() {
            if (closed.compareAndSet(false, true)) {
                inbox.unlisten(this);
                if (timer >= 0) {
                    vertx.cancelTimer(timer);
                }
                try {
                    sink.close();
                } catch (RuntimeException ignored) {
                    // already gone
                }
            }
        }
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
