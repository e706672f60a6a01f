package io.commercechat.chat.message;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One message of a conversation; {@code content} is the MessageContent in the protobuf JSON mapping. */
@Entity
@Table(name = "messages")
public class ChatMessage {

    public enum Sender { PERSON, BUSINESS, ASSISTANT, SYSTEM }

    public enum Visibility { EVERYONE, PERSON_ONLY }

    @Id
    public UUID id;

    public UUID conversationId;
    public long seq;

    @Enumerated(EnumType.STRING)
    public Sender sender;

    public String clientMessageId;
    /** TEXT, QUICK_REPLIES, BUTTONS, RECEIPT, ACCOUNT_CARD or NOTICE. */
    public String kind;
    public String content;

    @Enumerated(EnumType.STRING)
    public Visibility visibility;

    /** UpdateTag name, or null. */
    public String updateTag;
    public Instant sentAt;

    /** For account cards: the consent the data was read under (its end removes the card). */
    public String sourceConsentId;
}
