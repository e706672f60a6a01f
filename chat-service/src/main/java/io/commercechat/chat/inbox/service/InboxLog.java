package io.commercechat.chat.inbox.service;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.commercechat.chat.conversation.Conversation;
import io.commercechat.chat.conversation.ConversationViews;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.inbox.InboxEntry;
import io.commercechat.chat.inbox.repository.InboxRepository;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.MessageViews;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.MessageRedacted;
import io.commercechat.proto.partner.v1.ReadReceipt;
import io.commercechat.proto.partner.v1.SenderKind;
import io.commercechat.proto.partner.v1.TypingIndicator;
import io.commercechat.support.ProtoTime;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.UUID;

/**
 * Writes inbox events in the caller's transaction, each shaped for its reader: JSON views for the
 * person's SSE stream, the protobuf JSON of {@link InboxEvent} (without position and time, which
 * come from the row) for a business's Subscribe stream; and renders message events, which name
 * their message, for either reader.
 */
@ApplicationScoped
public class InboxLog {

    public record ReadView(UUID conversationId, String reader, long readSeq) {}

    /** {@code replacement}: the MessageContent now shown instead (protobuf JSON mapping, written out as stored). */
    public record RedactedView(UUID conversationId, UUID messageId, long seq, @JsonRawValue String replacement) {}

    public record TypingView(UUID conversationId, String who, boolean typing, Instant expiresAt) {}

    private final InboxRepository inbox;
    private final MessageViews views;

    public InboxLog(InboxRepository inbox, MessageViews views) {
        this.inbox = inbox;
        this.views = views;
    }

    /**
     * A person-only message (an account card) became visible to the business. The person first,
     * then the business: every writer takes inbox locks in this order. (New messages get their
     * events inside send_message_batch(), see V8__send_batch_set_based.sql.)
     */
    public Uni<Void> messageShared(Conversation c, ChatMessage m) {
        return inbox.appendMessage(Caller.inboxOfPerson(c.personSub), m.id)
                .chain(() -> inbox.appendMessage(Caller.inboxOfBusiness(c.businessId), m.id));
    }

    /** An event as the person's SSE stream carries it (JSON). */
    public String forPerson(InboxEntry e) {
        return e.message() == null ? e.payload() : views.toJson(views.forPerson(e.message()));
    }

    /** An event as a business's Subscribe stream carries it. */
    public static InboxEvent forBusiness(InboxEntry e) {
        InboxEvent.Builder event = e.message() == null ? MessageContents.parse(e.payload(), InboxEvent.newBuilder())
                : InboxEvent.newBuilder().setMessage(MessageViews.forBusiness(e.message()));
        return event.setPosition(e.position()).setOccurredAt(ProtoTime.of(e.occurredAt())).build();
    }

    /** A message's content was replaced; the business hears of it only if it could see the message. */
    public Uni<Void> redacted(Conversation c, ChatMessage m) {
        Uni<Void> person = inbox.append(Caller.inboxOfPerson(c.personSub), InboxEntry.REDACTED,
                views.toJson(new RedactedView(c.id, m.id, m.seq, m.content)));
        if (m.visibility != ChatMessage.Visibility.EVERYONE) {
            return person.replaceWithVoid();
        }
        return person.chain(() -> inbox.append(Caller.inboxOfBusiness(c.businessId), InboxEntry.REDACTED,
                MessageContents.toJson(InboxEvent.newBuilder().setRedacted(MessageRedacted.newBuilder()
                        .setConversationId(c.id.toString()).setMessageId(m.id.toString()).setSeq(m.seq)
                        .setReplacement(MessageContents.contentFromJson(m.content))).build())))
                .replaceWithVoid();
    }

    /**
     * Tells the other side that {@code reader} has read up to {@code seq}, unless it is a business the person blocks
     * (it learns nothing of what the person reads). A person's read goes to their own inbox too, first (the lock
     * order), so that their other tabs and devices clear the conversation's unread badge.
     */
    public Uni<Void> read(Conversation c, Party reader, long seq) {
        if (!reader.isPerson()) {
            return inbox.append(reader.counterpartInbox(c), InboxEntry.READ,
                    views.toJson(new ReadView(c.id, "BUSINESS", seq))).replaceWithVoid();
        }
        Uni<Void> own = inbox.append(reader.inbox(), InboxEntry.READ, views.toJson(new ReadView(c.id, "PERSON", seq)));
        if (c.blocked) {
            return own;
        }
        return own.chain(() -> inbox.append(reader.counterpartInbox(c), InboxEntry.READ,
                MessageContents.toJson(InboxEvent.newBuilder().setRead(ReadReceipt.newBuilder()
                        .setConversationId(c.id.toString()).setReader(SenderKind.SENDER_KIND_PERSON).setReadSeq(seq)).build())));
    }

    public Uni<Void> typing(Conversation c, Party who, boolean typing, Instant expiresAt) {
        String target = who.counterpartInbox(c);
        String payload = who.isPerson()
                ? MessageContents.toJson(InboxEvent.newBuilder().setTyping(TypingIndicator.newBuilder()
                        .setConversationId(c.id.toString()).setWho(SenderKind.SENDER_KIND_PERSON).setTyping(typing)).build())
                : views.toJson(new TypingView(c.id, "BUSINESS", typing, typing ? expiresAt : null));
        return inbox.append(target, InboxEntry.TYPING, payload).replaceWithVoid();
    }

    /** The business learns of a new conversation or a changed block. */
    public Uni<Void> conversationChanged(Conversation c) {
        return inbox.append(Caller.inboxOfBusiness(c.businessId), InboxEntry.CONVERSATION, MessageContents.toJson(
                InboxEvent.newBuilder().setConversationUpdated(ConversationViews.forBusiness(c, 0)).build()))
                .replaceWithVoid();
    }
}
