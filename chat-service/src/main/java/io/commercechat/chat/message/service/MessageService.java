package io.commercechat.chat.message.service;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.client.PeerTimes;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.consent.repository.ConsentWatchRepository;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.conversation.repository.ConversationRepository;
import io.commercechat.chat.conversation.service.ConversationService;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.inbox.service.InboxLog;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.MessageIds;
import io.commercechat.chat.message.repository.MessageRepository;
import io.commercechat.chat.message.repository.MessageWriter;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Sending and reading messages. A send is written by the database function send_message_batch(), in a
 * batch of sends in one transaction ({@link MessageWriter}): it locks the conversation row
 * for its transaction, which serializes sends to one conversation, so seq is assigned gapless and in
 * commit order, a retry with the same client message id finds the first message, and the inbox
 * events are appended in seq order. The rules that depend on the conversation's state are checked
 * there, under the lock; this class validates input and turns the function's outcome into an answer.
 */
@ApplicationScoped
public class MessageService {

    /** History's {@code after} when the caller did not ask for one (0 is a cursor: from the first message). */
    public static final long NOT_AFTER = -1;

    private static final Duration HUMAN_AGENT_WINDOW = Duration.ofDays(7);
    /** messages.client_message_id's length. */
    public static final int MAX_CLIENT_MESSAGE_ID = 64;

    /** What to send; {@code content} is already validated for the sender. */
    public record Outgoing(UUID conversationId, String clientMessageId, MessageContent content, UpdateTag updateTag,
            ChatMessage.Visibility visibility) {}

    public record Sent(ChatMessage message, boolean duplicate) {}

    private static final String CONSENT_ENDED = "consent-ended";
    private static final String CLIENT_MESSAGE_ID_REUSED = "client-message-id-reused";

    public record History(List<ChatMessage> messages, boolean hasMore) {}

    private final ConversationRepository conversations;
    private final MessageRepository messages;
    private final MessageWriter writer;
    private final BusinessRepository businesses;
    private final InboxLog inboxLog;
    private final ConsentWatchRepository consentWatch;
    private final ConsentClient consents;
    private final ChatConfig config;

    public MessageService(ConversationRepository conversations, MessageRepository messages, MessageWriter writer,
            BusinessRepository businesses, InboxLog inboxLog, ConsentWatchRepository consentWatch, ConsentClient consents,
            ChatConfig config) {
        this.conversations = conversations;
        this.messages = messages;
        this.writer = writer;
        this.businesses = businesses;
        this.inboxLog = inboxLog;
        this.consentWatch = consentWatch;
        this.consents = consents;
        this.config = config;
    }

    public static String clientMessageId(String id) {
        if (id == null || id.isEmpty()) {
            throw ChatFailure.invalid("clientMessageId is required (1-64 printable ASCII characters, unique per conversation)");
        }
        if (!printableAscii(id)) {
            throw ChatFailure.invalid("clientMessageId must be 1-64 printable ASCII characters without spaces");
        }
        return id;
    }

    /** 1-64 characters from '!' to '~' (a loop: the regular expression was 4 % of a send's CPU). */
    private static boolean printableAscii(String id) {
        if (id.length() > MAX_CLIENT_MESSAGE_ID) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /** Appends {@code out} as {@code from}, in a batch of sends written together (see {@link MessageWriter}). */
    public Uni<Sent> send(Party from, Outgoing out) {
        clientMessageId(out.clientMessageId());
        UpdateTag tag = out.updateTag() == null ? UpdateTag.UPDATE_TAG_UNSPECIFIED : out.updateTag();
        if (tag == UpdateTag.UNRECOGNIZED) {
            throw ChatFailure.invalid("update_tag has an unknown value");
        }
        ChatMessage m = newMessage(from.sender(), out, tag, null);
        MessageContent content = out.content();
        // a person can only ask for bank data (the assistant's payloads) where the bank is
        boolean bankOnly = from.isPerson() && content.hasText() && (content.getText().getBody().startsWith(ASSISTANT_PAYLOAD_PREFIX)
                || content.getText().getPayload().startsWith(ASSISTANT_PAYLOAD_PREFIX));
        return append(from.isPerson() ? from.id() : null, from.isPerson() ? null : from.id(), out.conversationId(), m,
                content, bankOnly);
    }

    private Uni<Sent> append(String personSub, String businessId, UUID conversationId, ChatMessage m, MessageContent content,
            boolean bankOnly) {
        String orderNumber = content.hasReceipt() ? content.getReceipt().getOrderNumber() : null;
        var a = new MessageWriter.Append(conversationId, personSub, businessId, m, orderNumber, bankOnly,
                config.replyWindow(), HUMAN_AGENT_WINDOW);
        return writer.append(a)
                .onFailure(MessageService::isOrderNumberRace).transform(e -> orderNumberTaken(orderNumber))
                .map(done -> switch (done.outcome()) {
                    case MessageWriter.SENT -> new Sent(done.message(), false);  // its events were handed to the streams
                    case "duplicate" -> new Sent(done.message(), true);
                    case "not_found" -> throw ChatFailure.notFound("the conversation");
                    case "client_message_id_reused" -> throw ChatFailure.conflict(CLIENT_MESSAGE_ID_REUSED, "clientMessageId "
                            + m.clientMessageId + " was already used for a different message in this conversation");
                    case "blocked" -> throw personSub != null
                            ? ChatFailure.precondition("business-blocked", "you have blocked this business; unblock it to write")
                            : ConversationService.blocked();
                    case "bank_data_not_for_shops" -> throw bankDataNotForShops();
                    case "receipts_for_shops" -> throw ChatFailure.invalid("receipts are for shops");
                    case "outside_reply_window" -> throw ChatFailure.precondition("outside-reply-window", "more than 24 hours"
                            + " have passed since the person's last message: set a non-promotional update_tag"
                            + " (ACCOUNT_UPDATE, POST_PURCHASE_UPDATE or HUMAN_AGENT)");
                    case "human_agent_window" -> throw ChatFailure.precondition("outside-reply-window",
                            "HUMAN_AGENT answers are allowed only within 7 days of the person's last message");
                    case "order_number_taken" -> throw orderNumberTaken(orderNumber);
                    // a card whose read was allowed, but whose consent ended before it was written (V11)
                    case "consent_ended" -> throw cardConsentEnded();
                    default -> throw new IllegalStateException("send_message_batch answered " + done.outcome());
                });
    }

    private static ChatFailure cardConsentEnded() {
        return ChatFailure.forbidden(CONSENT_ENDED, "access to the account ended before this could be shown");
    }

    /** A card refused because the consent it was read under has ended (nothing was written). */
    public static boolean isCardConsentEnded(Throwable f) {
        return f instanceof ChatFailure c && CONSENT_ENDED.equals(c.type());
    }

    /** A send whose clientMessageId this sender already used for a different message of the conversation. */
    public static boolean isClientMessageIdReused(Throwable f) {
        return f instanceof ChatFailure c && CLIENT_MESSAGE_ID_REUSED.equals(c.type());
    }

    private static ChatFailure orderNumberTaken(String orderNumber) {
        return ChatFailure.conflict("order-number-taken", "receipt order number " + orderNumber + " was already sent by this shop");
    }

    /** Two sends of one order number at once: the later one fails on receipt_orders' key. */
    private static boolean isOrderNumberRace(Throwable e) {
        return e instanceof PgException pg && "23505".equals(pg.getSqlState()) && "receipt_orders_pkey".equals(pg.getConstraint());
    }

    /** A new message; seq and sentAt are the database's. */
    private static ChatMessage newMessage(ChatMessage.Sender sender, Outgoing out, UpdateTag tag, String sourceConsentId) {
        ChatMessage m = new ChatMessage();
        m.id = MessageIds.next();
        m.conversationId = out.conversationId();
        m.sender = sender;
        m.clientMessageId = out.clientMessageId();
        m.kind = MessageContents.kind(out.content());
        m.content = MessageContents.toJson(out.content());
        m.visibility = out.visibility();
        m.updateTag = tag == UpdateTag.UPDATE_TAG_UNSPECIFIED ? null : tag.name();
        m.sourceConsentId = sourceConsentId;
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
     * the consent they were read under ({@code sourceConsentId}). {@code clientMessageId} makes a
     * repeated post of the same message a no-op (e.g. "renewal-" + consent id).
     */
    public Uni<Sent> postAsAssistant(UUID conversationId, String clientMessageId, MessageContent content,
            ChatMessage.Visibility visibility, UpdateTag tag, String sourceConsentId) {
        var out = new Outgoing(conversationId, clientMessageId, content, tag, visibility);
        ChatMessage m = newMessage(ChatMessage.Sender.ASSISTANT, out, tag == null ? UpdateTag.UPDATE_TAG_UNSPECIFIED : tag,
                sourceConsentId);
        return append(null, null, conversationId, m, content, false);
    }

    /**
     * The person shares one account card with the bank of the same conversation: from now on the
     * bank sees it (history and inbox). Sharing again changes nothing. Never into a shop. The card's consent must
     * allow it now, as consent-service has it ({@link #consentAllowsSharing}), checked before the transaction so that
     * no row lock is held across the call.
     */
    public Uni<ChatMessage> share(Party person, String personToken, UUID conversationId, UUID messageId) {
        return Panache.withSession(() -> conversations.findFor(person, conversationId).chain(c -> c == null
                        ? Uni.createFrom().<ChatMessage>nullItem()
                        : messages.findById(messageId).map(m -> m != null && m.conversationId.equals(c.id) ? m : null)))
                .chain(m -> m == null || !"ACCOUNT_CARD".equals(m.kind) || m.visibility == ChatMessage.Visibility.EVERYONE
                        ? Uni.createFrom().voidItem()  // the transaction answers each of these
                        : consentAllowsSharing(personToken, m.sourceConsentId))
                .chain(() -> Panache.withTransaction(() -> shareCard(person, conversationId, messageId)));
    }

    /**
     * Showing a card to the bank's agents is the purpose "help from the bank in chat" (PURPOSE_CUSTOMER_SERVICE), and
     * the consent must be authorised and unexpired at consent-service: the ended-cards flag follows consent events,
     * and an expiry becomes one only when consent-service's sweep runs.
     */
    private Uni<Void> consentAllowsSharing(String personToken, String consentId) {
        if (consentId == null || consentId.isBlank()) {
            return Uni.createFrom().failure(cardConsentEnded());  // a card of no consent is shown to nobody else
        }
        return consents.getConsent(personToken, consentId)
                .onFailure(f -> f instanceof ChatFailure c && c.kind() == ChatFailure.Kind.NOT_FOUND)
                .transform(gone -> cardConsentEnded())
                .invoke(consent -> {
                    Instant expires = PeerTimes.from(consent.getExpiresAt(), "expires_at");
                    boolean live = consent.getStatus() == ConsentStatus.CONSENT_STATUS_AUTHORISED && expires != null
                            && expires.isAfter(Instant.now());
                    if (!live) {
                        throw cardConsentEnded();
                    }
                    if (!consent.getPurposesList().contains(Purpose.PURPOSE_CUSTOMER_SERVICE)) {
                        throw ChatFailure.forbidden("sharing-not-consented", "your consent for this account does not"
                                + " include help from the bank in chat, so its cards cannot be shown to the bank: link the"
                                + " account again and choose \"Help from the bank in chat\"");
                    }
                }).replaceWithVoid();
    }

    private Uni<ChatMessage> shareCard(Party person, UUID conversationId, UUID messageId) {
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
                if (c.blocked) {
                    throw ChatFailure.precondition("business-blocked", "you have blocked this business; unblock it to share with it");
                }
                // the card's consent may have ended, and its redaction not have reached this card yet
                return consentWatch.cardsEnded(m.sourceConsentId).chain(ended -> {
                    if (ended) {
                        throw cardConsentEnded();
                    }
                    m.visibility = ChatMessage.Visibility.EVERYONE;
                    return messages.flush().chain(() -> inboxLog.messageShared(c, m)).replaceWith(m);
                });
            }));
        });
    }

    /**
     * Replaces up to {@code limit} account cards read under an ended consent (and its renewal offer) by a notice, and tells both
     * inboxes (the business only when the card had been shared with it); returns how many. Cards already
     * replaced are left alone, so the caller repeats until fewer than {@code limit} were replaced, and
     * handling the same consent event twice changes nothing.
     */
    @WithTransaction
    public Uni<Integer> redactCardsOf(String consentId, String bankDisplayName, int limit) {
        return messages.showingConsent(consentId, limit).chain(cards -> {
            Uni<Integer> done = Uni.createFrom().item(0);
            for (ChatMessage card : cards) {
                done = done.chain(n -> conversations.findById(card.conversationId, LockModeType.PESSIMISTIC_WRITE)
                        // the card's visibility as it is under the lock: a share may have committed since the card was
                        // read above, and writing back the copy read then would undo it (and keep the bank from hearing
                        // of the end)
                        .call(c -> messages.visibilityOf(card.id).invoke(now -> card.visibility = now))
                        .chain(c -> businesses.findById(c.businessId).chain(business -> {
                            String bank = business == null ? bankDisplayName : business.displayName;
                            // a renewal offer: the person may have renewed since, so not "access ended"
                            String notice = "ACCOUNT_CARD".equals(card.kind) ? "This card was removed because access to " + bank + " ended"
                                    : "This reminder was removed because the consent it was about ended";
                            card.kind = "NOTICE";
                            card.content = MessageContents.toJson(MessageContents.notice(notice));
                            return messages.flush().chain(() -> inboxLog.redacted(c, card));
                        }))
                        .map(x -> n + 1));
            }
            return done;
        });
    }

    /** History paged by seq; see {@link MessageRepository#page}; {@code after} {@link #NOT_AFTER} when not asked for. */
    @WithSession
    public Uni<History> history(Party party, UUID conversationId, long before, long after, int limit) {
        if (before < 0 || after < NOT_AFTER) {
            throw ChatFailure.invalid("before and after must not be negative");
        }
        if (before > 0 && after != NOT_AFTER) {
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
