package io.commercechat.chat.inbox;

import io.commercechat.chat.message.ChatMessage;
import java.time.Instant;

/**
 * One committed event of a participant's inbox: a message event names its message (as it is now);
 * any other event has a payload already shaped for that participant.
 */
public record InboxEntry(long position, String kind, Instant occurredAt, String payload, ChatMessage message) {

    public static final String MESSAGE = "message";
    public static final String READ = "read";
    public static final String TYPING = "typing";
    public static final String REDACTED = "redacted";
    public static final String CONVERSATION = "conversation";
}
