package io.commercechat.chat.inbox;

/** Where a committed event sits: a participant's inbox ('p:<sub>' or 'b:<business id>') and its position there. */
public record InboxPosition(String participant, long position) {}
