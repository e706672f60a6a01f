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
    public long activitySeq;
    public Instant createdAt;
}
