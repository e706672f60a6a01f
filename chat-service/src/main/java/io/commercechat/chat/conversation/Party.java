package io.commercechat.chat.conversation;

import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.security.Caller;

/** One side of a conversation acting: the person (by login subject) or the business (by id). */
public record Party(Side side, String id) {

    public enum Side { PERSON, BUSINESS }

    public static Party person(String sub) {
        return new Party(Side.PERSON, sub);
    }

    public static Party business(String businessId) {
        return new Party(Side.BUSINESS, businessId);
    }

    public boolean isPerson() {
        return side == Side.PERSON;
    }

    /** Object-level authorization: the only check that decides whether a conversation is visible. */
    public boolean owns(Conversation c) {
        return c != null && (isPerson() ? id.equals(c.personSub) : id.equals(c.businessId));
    }

    public ChatMessage.Sender sender() {
        return isPerson() ? ChatMessage.Sender.PERSON : ChatMessage.Sender.BUSINESS;
    }

    public String inbox() {
        return isPerson() ? Caller.inboxOfPerson(id) : Caller.inboxOfBusiness(id);
    }

    /** The other side's inbox in this conversation. */
    public String counterpartInbox(Conversation c) {
        return isPerson() ? Caller.inboxOfBusiness(c.businessId) : Caller.inboxOfPerson(c.personSub);
    }
}
