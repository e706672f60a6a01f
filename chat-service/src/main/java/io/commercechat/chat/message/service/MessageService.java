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
import jakarta.persistence.LockModeType;
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
                        .chain(business -> insert(from.sender(), found, business, out, content, tagName, null));
            });
        });
    }

    private void checkRules(Party from, Conversation c, Business business, MessageContent content, UpdateTag tag) {
        if (from.isPerson()) {
            if (c.blocked) {
                throw ChatFailure.precondition("business-blocked", "you have blocked this business; unblock it to write");
            }
            if (business.kind == Business.Kind.SHOP && content.hasText()
                    && content.getText().getBody().startsWith(ASSISTANT_PAYLOAD_PREFIX)) {
                throw bankDataNotForShops();
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

    private Uni<Sent> insert(ChatMessage.Sender sender, Conversation c, Business business, Outgoing out, String content,
            String tagName, String sourceConsentId) {
        // the activity number first: the conversation changes only after it, so its row is written once
        return conversations.nextActivity().chain(activity -> {
            ChatMessage m = newMessage(sender, c, out, content, tagName, sourceConsentId);
            c.activitySeq = activity;
            return messages.persistAndFlush(m) // native statements below do not flush by themselves
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
        });
    }

    /** The message with the next seq, and the conversation's counters moved on to it. */
    private static ChatMessage newMessage(ChatMessage.Sender sender, Conversation c, Outgoing out, String content,
            String tagName, String sourceConsentId) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        ChatMessage m = new ChatMessage();
        m.id = UUID.randomUUID();
        m.conversationId = c.id;
        m.seq = c.lastSeq + 1;
        m.sender = sender;
        m.clientMessageId = out.clientMessageId();
        m.kind = MessageContents.kind(out.content());
        m.content = content;
        m.visibility = out.visibility();
        m.updateTag = tagName;
        m.sentAt = now;
        m.sourceConsentId = sourceConsentId;
        c.lastSeq = m.seq;
        c.lastMessageAt = now;
        if (sender == ChatMessage.Sender.PERSON) {
            c.personLastMessageAt = now;
            c.personReadSeq = m.seq; // writing implies having read everything before
        } else if (sender == ChatMessage.Sender.BUSINESS) {
            c.businessReadSeq = m.seq;
        }
        return m;
    }

    /** Quick-reply payloads of the assistant start with this; they ask for bank data. */
    public static final String ASSISTANT_PAYLOAD_PREFIX = "assistant:";

    public static ChatFailure bankDataNotForShops() {
        return ChatFailure.conflict("bank-data-not-for-shops",
                "bank data can only be shown in a conversation with your bank, never in a conversation with a shop");
    }

    /**
     * A message from the built-in assistant (marked as automated everywhere). Account cards name
     * the consent they were read under ({@code sourceConsentId}).
     */
    @WithTransaction
    public Uni<ChatMessage> postAsAssistant(UUID conversationId, MessageContent content, ChatMessage.Visibility visibility,
            UpdateTag tag, String sourceConsentId) {
        UpdateTag t = tag == null ? UpdateTag.UPDATE_TAG_UNSPECIFIED : tag;
        String tagName = t == UpdateTag.UPDATE_TAG_UNSPECIFIED ? null : t.name();
        var out = new Outgoing(conversationId, "assistant-" + UUID.randomUUID(), content, t, visibility);
        return conversations.findById(conversationId, LockModeType.PESSIMISTIC_WRITE)
                .chain(c -> businesses.findById(c.businessId)
                        .chain(business -> insert(ChatMessage.Sender.ASSISTANT, c, business, out, MessageContents.toJson(content),
                                tagName, sourceConsentId)))
                .map(Sent::message);
    }

    /**
     * The person shares one account card with the bank of the same conversation: from now on the
     * bank sees it (history and inbox). Sharing again changes nothing. Never into a shop.
     */
    @WithTransaction
    public Uni<ChatMessage> share(Party person, UUID conversationId, UUID messageId) {
        return conversations.lockFor(person, conversationId).chain(c -> {
            if (c == null) {
                throw ChatFailure.notFound("the conversation");
            }
            return businesses.findById(c.businessId).chain(business -> messages.findById(messageId).chain(m -> {
                if (m == null || !m.conversationId.equals(c.id)) {
                    throw ChatFailure.notFound("the message");
                }
                if (business.kind != Business.Kind.BANK) {
                    throw bankDataNotForShops();
                }
                if (!"ACCOUNT_CARD".equals(m.kind)) {
                    throw ChatFailure.conflict("not-an-account-card", "only account cards can be shared");
                }
                if (m.visibility == ChatMessage.Visibility.EVERYONE) {
                    return Uni.createFrom().item(m);
                }
                m.visibility = ChatMessage.Visibility.EVERYONE;
                return messages.flush().chain(() -> inboxLog.messageShared(c, m)).replaceWith(m);
            }));
        });
    }

    /**
     * Replaces every account card read under an ended consent by a notice, and tells both inboxes
     * (the business only when the card had been shared with it). Cards already replaced are left
     * alone, so handling the same consent event twice changes nothing.
     */
    @WithTransaction
    public Uni<Integer> redactCardsOf(String consentId, String bankDisplayName) {
        return messages.cardsOf(consentId).chain(cards -> {
            Uni<Integer> done = Uni.createFrom().item(0);
            for (ChatMessage card : cards) {
                done = done.chain(n -> conversations.findById(card.conversationId, LockModeType.PESSIMISTIC_WRITE)
                        .chain(c -> businesses.findById(c.businessId).chain(business -> {
                            card.kind = "NOTICE";
                            card.content = MessageContents.toJson(MessageContents.notice("This card was removed because access to "
                                    + (business == null ? bankDisplayName : business.displayName) + " ended"));
                            return messages.flush().chain(() -> inboxLog.redacted(c, card));
                        }))
                        .map(x -> n + 1));
            }
            return done;
        });
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
