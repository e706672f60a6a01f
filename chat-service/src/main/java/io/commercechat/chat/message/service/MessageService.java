package io.commercechat.chat.message.service;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.conversation.Conversation;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.conversation.repository.ConversationRepository;
import io.commercechat.chat.conversation.service.ConversationService;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.inbox.service.InboxLog;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.repository.MessageRepository;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Sending and reading messages. A send locks the conversation row for the rest of its
 * transaction: that serializes sends to one conversation, so seq is assigned gapless and in
 * commit order, a retry with the same client message id finds the first message, and the inbox
 * events are appended in seq order.
 */
@ApplicationScoped
public class MessageService {

    private static final Pattern CLIENT_MESSAGE_ID = Pattern.compile("[\\x21-\\x7E]{1,64}");
    private static final Duration HUMAN_AGENT_WINDOW = Duration.ofDays(7);

    /** What to send; {@code content} is already validated for the sender. */
    public record Outgoing(UUID conversationId, String clientMessageId, MessageContent content, UpdateTag updateTag,
            ChatMessage.Visibility visibility) {}

    public record Sent(ChatMessage message, boolean duplicate) {}

    public record History(List<ChatMessage> messages, boolean hasMore) {}

    private final ConversationRepository conversations;
    private final MessageRepository messages;
    private final BusinessRepository businesses;
    private final InboxLog inboxLog;
    private final ChatConfig config;

    public MessageService(ConversationRepository conversations, MessageRepository messages, BusinessRepository businesses,
            InboxLog inboxLog, ChatConfig config) {
        this.conversations = conversations;
        this.messages = messages;
        this.businesses = businesses;
        this.inboxLog = inboxLog;
        this.config = config;
    }

    public static String clientMessageId(String id) {
        if (id == null || id.isEmpty()) {
            throw ChatFailure.invalid("clientMessageId is required (1-64 printable ASCII characters, unique per conversation)");
        }
        if (!CLIENT_MESSAGE_ID.matcher(id).matches()) {
            throw ChatFailure.invalid("clientMessageId must be 1-64 printable ASCII characters without spaces");
        }
        return id;
    }

    @WithTransaction
    public Uni<Sent> send(Party from, Outgoing out) {
        clientMessageId(out.clientMessageId());
        UpdateTag tag = out.updateTag() == null ? UpdateTag.UPDATE_TAG_UNSPECIFIED : out.updateTag();
        if (tag == UpdateTag.UNRECOGNIZED) {
            throw ChatFailure.invalid("update_tag has an unknown value");
        }
        String content = MessageContents.toJson(out.content());
        String tagName = tag == UpdateTag.UPDATE_TAG_UNSPECIFIED ? null : tag.name();
        return conversations.lockFor(from, out.conversationId()).chain(found -> {
            if (found == null) {
                throw ChatFailure.notFound("the conversation");
            }
            return messages.findByClientId(found.id, from.sender(), out.clientMessageId()).chain(existing -> {
                if (existing != null) {
                    if (existing.content.equals(content) && Objects.equals(existing.updateTag, tagName)) {
                        return Uni.createFrom().item(new Sent(existing, true));
                    }
                    throw ChatFailure.conflict("client-message-id-reused", "clientMessageId " + out.clientMessageId()
                            + " was already used for a different message in this conversation");
                }
                return businesses.findById(found.businessId)
                        .invoke(business -> checkRules(from, found, business, out.content(), tag))
                        .chain(business -> insert(from, found, business, out, content, tagName));
            });
        });
    }

    private void checkRules(Party from, Conversation c, Business business, MessageContent content, UpdateTag tag) {
        if (from.isPerson()) {
            if (c.blocked) {
                throw ChatFailure.precondition("business-blocked", "you have blocked this business; unblock it to write");
            }
            return;
        }
        if (c.blocked) {
            throw ConversationService.blocked();
        }
        if (content.hasReceipt() && business.kind != Business.Kind.SHOP) {
            throw ChatFailure.invalid("receipts are for shops");
        }
        Instant now = Instant.now();
        Instant last = c.personLastMessageAt;
        boolean inWindow = last != null && last.plus(config.replyWindow()).isAfter(now);
        if (!inWindow && tag == UpdateTag.UPDATE_TAG_UNSPECIFIED) {
            throw ChatFailure.precondition("outside-reply-window", "more than 24 hours have passed since the person's last"
                    + " message: set a non-promotional update_tag (ACCOUNT_UPDATE, POST_PURCHASE_UPDATE or HUMAN_AGENT)");
        }
        if (!inWindow && tag == UpdateTag.UPDATE_TAG_HUMAN_AGENT && (last == null || last.plus(HUMAN_AGENT_WINDOW).isBefore(now))) {
            throw ChatFailure.precondition("outside-reply-window",
                    "HUMAN_AGENT answers are allowed only within 7 days of the person's last message");
        }
    }

    private Uni<Sent> insert(Party from, Conversation c, Business business, Outgoing out, String content, String tagName) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        ChatMessage m = new ChatMessage();
        m.id = UUID.randomUUID();
        m.conversationId = c.id;
        m.seq = c.lastSeq + 1;
        m.sender = from.sender();
        m.clientMessageId = out.clientMessageId();
        m.kind = MessageContents.kind(out.content());
        m.content = content;
        m.visibility = out.visibility();
        m.updateTag = tagName;
        m.sentAt = now;
        c.lastSeq = m.seq;
        c.lastMessageAt = now;
        if (from.isPerson()) {
            c.personLastMessageAt = now;
            c.personReadSeq = m.seq; // writing implies having read everything before
        } else {
            c.businessReadSeq = m.seq;
        }
        return conversations.nextActivity().invoke(a -> c.activitySeq = a)
                .chain(() -> messages.persistAndFlush(m)) // native statements below do not flush by themselves
                .call(() -> out.content().hasReceipt()
                        ? messages.reserveOrderNumber(business.id, out.content().getReceipt().getOrderNumber(), m.id)
                                .invoke(reserved -> {
                                    if (!reserved) {
                                        throw ChatFailure.conflict("order-number-taken", "receipt order number "
                                                + out.content().getReceipt().getOrderNumber() + " was already sent by this shop");
                                    }
                                })
                        : Uni.createFrom().voidItem())
                .call(() -> inboxLog.messageAdded(c, m))
                .map(x -> new Sent(m, false));
    }

    /** History paged by seq; see {@link MessageRepository#page}. */
    @WithSession
    public Uni<History> history(Party party, UUID conversationId, long before, long after, int limit) {
        if (before < 0 || after < 0) {
            throw ChatFailure.invalid("before and after must not be negative");
        }
        if (before > 0 && after > 0) {
            throw ChatFailure.invalid("set at most one of before and after");
        }
        if (limit < 1 || limit > 100) {
            throw ChatFailure.invalid("limit must be between 1 and 100");
        }
        return conversations.findFor(party, conversationId).chain(c -> {
            if (c == null) {
                throw ChatFailure.notFound("the conversation");
            }
            return messages.page(party, conversationId, before, after, limit + 1)
                    .map(found -> new History(found.stream().limit(limit).toList(), found.size() > limit));
        });
    }
}
