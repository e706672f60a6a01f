package io.commercechat.chat.conversation.service;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.conversation.Conversation;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.conversation.repository.ConversationRepository;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.inbox.service.InboxLog;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.repository.MessageRepository;
import io.commercechat.chat.security.Caller;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Conversations, read watermarks, typing and blocks. Object-level authorization happens here, via {@link Party#owns}. */
@ApplicationScoped
public class ConversationService {

    /** The conversation as a list shows it (its one-item page), and whether this call created it. */
    public record Opened(Page page, boolean created) {}

    /**
     * A page of conversations with what a list shows; {@code latest} is filled for the person only; {@code nextCursor}
     * is null on the last page.
     */
    public record Page(List<Conversation> conversations, Map<String, Business> businesses, Map<UUID, Long> unread,
            Map<UUID, ChatMessage> latest, String nextCursor) {}

    private final ConversationRepository conversations;
    private final BusinessRepository businesses;
    private final MessageRepository messages;
    private final InboxLog inboxLog;
    private final PersonRefs personRefs;
    private final ActivityCursors cursors;
    private final ChatConfig config;

    public ConversationService(ConversationRepository conversations, BusinessRepository businesses,
            MessageRepository messages, InboxLog inboxLog, PersonRefs personRefs, ActivityCursors cursors, ChatConfig config) {
        this.cursors = cursors;
        this.conversations = conversations;
        this.businesses = businesses;
        this.messages = messages;
        this.inboxLog = inboxLog;
        this.personRefs = personRefs;
        this.config = config;
    }

    /**
     * Get-or-create the person's conversation with a business. One the person had comes with its unread count and last
     * message, as the list shows it: a client merges the answer over what it holds. A created one has no messages, so
     * its count is 0 without a read; an existing one is counted once the transaction has committed.
     */
    public Uni<Opened> open(Caller person, String businessId) {
        if (businessId == null || !Business.ID.matcher(businessId).matches()) {
            throw ChatFailure.invalid("businessId must be 1-64 characters of a-z, 0-9 and '-'");
        }
        Party party = Party.person(person.subject());
        return Panache.withTransaction(() -> businesses.findById(businessId).chain(business -> {
            if (business == null) {
                throw ChatFailure.notFound("business " + businessId);
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            // a business no longer configured (not listed) keeps the conversations it had, and starts none
            Uni<Boolean> inserted = business.listed ? conversations.insertIfAbsent(UUID.randomUUID(), person.subject(), businessId,
                    personRefs.of(businessId, person.subject()), person.displayName(), now) : Uni.createFrom().item(false);
            return inserted
                    .chain(created -> conversations.findPair(person.subject(), businessId)
                            .map(c -> {
                                if (c == null) {
                                    throw ChatFailure.notFound("business " + businessId);
                                }
                                return c;
                            })
                            .call(c -> created ? inboxLog.conversationChanged(c) : Uni.createFrom().voidItem())
                            .chain(c -> shown(party, List.of(c), Map.of(businessId, business), null))
                            .map(p -> new Opened(p, created)));
        })).chain(opened -> opened.created() ? Uni.createFrom().item(opened)
                : withUnread(party, opened.page()).map(p -> new Opened(p, false)));
    }

    @WithSession
    public Uni<Conversation> get(Party party, UUID id) {
        return conversations.findFor(party, id).map(c -> require(c));
    }

    /** Most recently active first; {@code cursor} from a previous page (null or empty for the first). */
    public Uni<Page> list(Party party, String cursor, int limit) {
        return Panache.withSession(() -> conversations.page(party, cursors.before(party, cursor), limit + 1).chain(found -> {
            List<Conversation> page = found.stream().limit(limit).toList();
            return shown(party, page, found.size() > limit ? cursors.after(party, page.get(page.size() - 1).activitySeq) : null);
        })).chain(p -> withUnread(party, p));
    }

    /** One conversation with what a list shows. */
    public Uni<Page> one(Party party, UUID id) {
        return Panache.withSession(() -> conversations.findFor(party, id)
                .chain(found -> shown(party, List.of(require(found)), null))).chain(p -> withUnread(party, p));
    }

    /** A page with its businesses and (for the person) last messages; the unread counts come after, {@link #withUnread}. */
    private Uni<Page> shown(Party party, List<Conversation> page, String nextCursor) {
        return businesses.byIds(page.stream().map(c -> c.businessId).toList())
                .chain(named -> shown(party, page, named, nextCursor));
    }

    /** {@link #shown}, with the page's businesses already read. */
    private Uni<Page> shown(Party party, List<Conversation> page, Map<String, Business> named, String nextCursor) {
        List<UUID> ids = page.stream().map(c -> c.id).toList();
        Uni<List<ChatMessage>> latest = party.isPerson() ? messages.latest(ids) : Uni.createFrom().item(List.of());
        return latest.map(last -> new Page(page, named, Map.of(),
                last.stream().collect(Collectors.toMap(m -> m.conversationId, Function.identity())), nextCursor));
    }

    /**
     * The page's unread counts, read on the reactive pool: run once the session has given its connection back, so a
     * request never holds one connection while it waits for a second (a burst of lists could take the whole pool so).
     */
    private Uni<Page> withUnread(Party party, Page p) {
        return messages.unreadCounts(party, p.conversations())
                .map(unread -> new Page(p.conversations(), p.businesses(), unread, p.latest(), p.nextCursor()));
    }

    /** Moves the party's read watermark forward (never back); returns the watermark. */
    @WithTransaction
    public Uni<Long> markRead(Party party, UUID id, long seq) {
        if (seq < 1) {
            throw ChatFailure.invalid("seq must be a positive message sequence number");
        }
        return conversations.lockFor(party, id).chain(found -> {
            Conversation c = require(found);
            if (seq > c.lastSeq) {
                throw ChatFailure.invalid("seq " + seq + " is beyond the last message of the conversation (" + c.lastSeq + ")");
            }
            long current = party.isPerson() ? c.personReadSeq : c.businessReadSeq;
            if (seq <= current) {
                return Uni.createFrom().item(current);
            }
            if (party.isPerson()) {
                c.personReadSeq = seq;  // a blocked business is not told (InboxLog.read)
            } else {
                c.businessReadSeq = seq;
            }
            return inboxLog.read(c, party, seq).replaceWith(seq);
        });
    }

    /**
     * Ephemeral: the other side shows it until it expires or is cleared; returns when it expires. Clients repeat
     * "typing" while the person types (the web client every 3 s, a third of {@code chat.typing-ttl}), so a repeat is
     * written only once less than two thirds of the shown indicator's time is left, and "stopped" only while one is
     * shown: the inbox gets at most one typing event per 2 s from each side, however often a client calls. The
     * decision is a conditional UPDATE of the conversation row, so it holds across replicas and against a block that
     * commits meanwhile, and a call that changes nothing writes nothing. Typing events are deleted after
     * {@code chat.typing-kept} (TypingSweep).
     */
    @WithTransaction
    public Uni<Instant> typing(Party party, UUID id, boolean typing) {
        return conversations.findFor(party, id).chain(found -> {
            Conversation c = require(found);
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            Instant expiresAt = now.plus(config.typingTtl());
            if (c.blocked) {
                return asBlocked(party, expiresAt);
            }
            Instant repeatFrom = now.plus(config.typingTtl().multipliedBy(2).dividedBy(3));
            Instant until = typing ? expiresAt : null;
            return conversations.announceTyping(party, c.id, until, now, repeatFrom).chain(done -> switch (done) {
                case WRITTEN -> inboxLog.typing(c, party, typing, expiresAt).replaceWith(expiresAt);
                // blocked after the read above (the update waited for the block to commit)
                case BLOCKED -> asBlocked(party, expiresAt);
                case UNCHANGED -> {
                    // still shown for a while (or nothing shown to clear): the other side already knows
                    Instant shown = party.isPerson() ? c.personTypingUntil : c.businessTypingUntil;
                    yield Uni.createFrom().item(typing && shown != null && shown.isAfter(now) ? shown : expiresAt);
                }
            });
        });
    }

    /** Typing while the business is blocked: refused for the business; nothing of the person's reaches it. */
    private static Uni<Instant> asBlocked(Party party, Instant expiresAt) {
        if (!party.isPerson()) {
            throw blocked();
        }
        return Uni.createFrom().item(expiresAt);
    }

    /** The person blocks or unblocks the business of this conversation. */
    @WithTransaction
    public Uni<Conversation> setBlocked(Party person, UUID id, boolean blocked) {
        return conversations.lockFor(person, id).chain(found -> {
            Conversation c = require(found);
            if (c.blocked == blocked) {
                return Uni.createFrom().item(c);
            }
            c.blocked = blocked;
            // what the business saw of the person's reading stays as it was until the person unblocks it
            c.readSeqAtBlock = blocked ? c.personReadSeq : null;
            return inboxLog.conversationChanged(c).replaceWith(c);
        });
    }

    static Conversation require(Conversation c) {
        if (c == null) {
            throw ChatFailure.notFound("the conversation");
        }
        return c;
    }

    public static ChatFailure blocked() {
        return ChatFailure.precondition("business-blocked", "the person has blocked this business");
    }
}
