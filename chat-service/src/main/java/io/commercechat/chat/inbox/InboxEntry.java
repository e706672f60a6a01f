package io.commercechat.chat.inbox;

import java.time.Instant;

/** One committed event of a participant's inbox; the payload is already shaped for that participant. */
public record InboxEntry(long position, String kind, Instant occurredAt, String payload) {

    public static final String MESSAGE = "message";
    public static final String READ = "read";
    public static final String TYPING = "typing";
    public static final String REDACTED = "redacted";
    public static final String CONVERSATION = "conversation";
}
