package io.commercechat.chat.conversation;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * The one conversation between a person and a business, with both read watermarks and the
 * person's block. {@code lastSeq} is the per-conversation message counter: it is only advanced
 * while the row is locked by the sending transaction.
 */
@Entity
@Table(name = "conversations")
public class Conversation {

    /**
     * Unread counts stop here, in both edges' lists: each conversation of a page counts at most this many messages, so
     * one whose reader never marks anything read (an integration) costs a list no more than any other.
     */
    public static final int UNREAD_SHOWN_AT_MOST = 1000;

    @Id
    public UUID id;

    public String personSub;
    public String businessId;
    public String personRef;
    public String personDisplayName;
    public long lastSeq;
    public Instant lastMessageAt;
    public Instant personLastMessageAt;
    public long personReadSeq;
    public long businessReadSeq;
    public boolean blocked;
    /** The person's read watermark when they blocked the business: all the business sees of it while blocked. */
    public Long readSeqAtBlock;
    /** Until when each side's typing indicator was last announced to the other (see ConversationService#typing). */
    public Instant personTypingUntil;
    public Instant businessTypingUntil;
    public long activitySeq;
    public Instant createdAt;
}
