package io.commercechat.chat.message;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.commercechat.support.ProtoTime;
import io.commercechat.proto.partner.v1.Message;
import io.commercechat.proto.partner.v1.SenderKind;
import io.commercechat.proto.partner.v1.UpdateTag;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A stored message as a person sees it (REST and SSE) and as a business sees it (gRPC). */
@ApplicationScoped
public class MessageViews {

    /**
     * The person-facing shape; {@code content} uses the protobuf JSON mapping of MessageContent. It is
     * stored in that mapping and written out as it is stored, not parsed into a tree again for each view.
     * {@code consentId}: an account card's, the person's own consent it was read under (null on other messages), so
     * that the web client offers "Share with <bank>" only where that consent allows it; businesses never see it.
     */
    public record MessageView(UUID id, UUID conversationId, long seq, String sender, boolean automated,
            String clientMessageId, String kind, @JsonRawValue @Schema(type = SchemaType.OBJECT) String content,
            Instant sentAt, String updateTag, boolean personOnly, String consentId) {}

    private final ObjectMapper json;

    public MessageViews(ObjectMapper json) {
        this.json = json;
    }

    public MessageView forPerson(ChatMessage m) {
        return new MessageView(m.id, m.conversationId, m.seq, m.sender.name(), m.sender == ChatMessage.Sender.ASSISTANT,
                m.clientMessageId, m.kind, m.content, m.sentAt, m.updateTag, m.visibility == ChatMessage.Visibility.PERSON_ONLY,
                "ACCOUNT_CARD".equals(m.kind) ? m.sourceConsentId : null);
    }

    public static Message forBusiness(ChatMessage m) {
        return Message.newBuilder()
                .setId(m.id.toString())
                .setConversationId(m.conversationId.toString())
                .setSeq(m.seq)
                .setSender(SenderKind.valueOf("SENDER_KIND_" + m.sender.name()))
                .setClientMessageId(m.clientMessageId)
                .setContent(MessageContents.contentFromJson(m.content))
                .setSentAt(ProtoTime.of(m.sentAt))
                .setUpdateTag(m.updateTag == null ? UpdateTag.UPDATE_TAG_UNSPECIFIED : UpdateTag.valueOf(m.updateTag))
                .build();
    }

    public String toJson(Object view) {
        try {
            return json.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("view cannot be written as JSON", e);
        }
    }
}
