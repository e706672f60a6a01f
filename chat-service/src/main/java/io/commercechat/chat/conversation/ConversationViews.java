package io.commercechat.chat.conversation;

import io.commercechat.chat.business.Business;
import io.commercechat.support.ProtoTime;
import io.commercechat.chat.message.MessageViews.MessageView;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A conversation as each side sees it: the person never sees the person_ref, a business never the login subject, and
 * a blocked business not how far the person has read since the block.
 */
public final class ConversationViews {

    private ConversationViews() {}

    public record ConversationView(UUID id, String businessId, String businessName, String businessKind, long lastSeq,
            Instant lastMessageAt,
            @Schema(description = "Messages from the business after the person's read watermark, counted up to "
                    + Conversation.UNREAD_SHOWN_AT_MOST + ": that many means at least that many") long unreadCount,
            long readSeq, long businessReadSeq, boolean blocked, MessageView lastMessage) {}

    public static ConversationView forPerson(Conversation c, Business b, long unread, MessageView last) {
        return new ConversationView(c.id, c.businessId, b == null ? c.businessId : b.displayName,
                b == null ? null : b.kind.name(), c.lastSeq, c.lastMessageAt, unread, c.personReadSeq, c.businessReadSeq,
                c.blocked, last);
    }

    public static io.commercechat.proto.partner.v1.Conversation forBusiness(Conversation c, long unread) {
        return io.commercechat.proto.partner.v1.Conversation.newBuilder()
                .setId(c.id.toString())
                .setPersonRef(c.personRef)
                .setPersonDisplayName(c.personDisplayName)
                .setLastSeq(c.lastSeq)
                .setLastMessageAt(ProtoTime.of(c.lastMessageAt))
                .setPersonLastMessageAt(ProtoTime.of(c.personLastMessageAt))
                .setUnreadCount(unread)
                .setPersonReadSeq(c.blocked && c.readSeqAtBlock != null ? c.readSeqAtBlock : c.personReadSeq)
                .setBlocked(c.blocked)
                .build();
    }
}
