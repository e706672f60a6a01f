package io.commercechat.chat.message;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.proto.common.v1.Money;
import io.commercechat.proto.partner.v1.Button;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.QuickReply;
import io.commercechat.proto.partner.v1.ReceiptItem;
import io.commercechat.support.ContractFormats;
import java.net.URI;
import java.util.regex.Pattern;

/**
 * Message content rules (lengths and counts from business_messaging.proto) and its one stored
 * form: the protobuf JSON mapping of {@link MessageContent}. REST shows the same JSON shape.
 */
public final class MessageContents {

    public static final int MAX_BODY = 4000;
    /** The longest payload of a quick reply or postback button, and of a person's reply carrying one. */
    public static final int MAX_PAYLOAD = 200;
    private static final Pattern ORDER_NUMBER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}");
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private MessageContents() {}

    public static MessageContent text(String body) {
        return MessageContent.newBuilder().setText(io.commercechat.proto.partner.v1.Text.newBuilder().setBody(body)).build();
    }

    /**
     * A person's text; {@code payload} (null or blank for typed text) is the quick reply or button they chose, whose
     * label is the body: the transcript shows what they saw, and the business still gets the value it chose.
     */
    public static MessageContent text(String body, String payload) {
        if (payload == null || payload.isBlank()) {
            return text(body);
        }
        length(payload, 1, MAX_PAYLOAD, "payload");
        return MessageContent.newBuilder()
                .setText(io.commercechat.proto.partner.v1.Text.newBuilder().setBody(body).setPayload(payload)).build();
    }

    public static MessageContent notice(String text) {
        return MessageContent.newBuilder().setNotice(io.commercechat.proto.partner.v1.Notice.newBuilder().setText(text)).build();
    }

    /** The stored kind name, e.g. TEXT or RECEIPT. */
    public static String kind(MessageContent content) {
        return content.getKindCase().name();
    }

    /** What a business may send: text, quick replies, buttons or a receipt, each within limits. */
    public static MessageContent validateFromBusiness(MessageContent c) {
        switch (c.getKindCase()) {
            case TEXT -> {
                body(c.getText().getBody(), "content.text.body", true);
                if (!c.getText().getPayload().isEmpty()) {
                    throw ChatFailure.invalid("content.text.payload is for a person's reply to a quick reply or button;"
                            + " a business sends text without it");
                }
            }
            case QUICK_REPLIES -> {
                body(c.getQuickReplies().getBody(), "content.quick_replies.body", true);
                count(c.getQuickReplies().getOptionsCount(), 1, 11, "content.quick_replies.options");
                for (QuickReply q : c.getQuickReplies().getOptionsList()) {
                    length(q.getLabel(), 1, 40, "a quick reply label");
                    length(q.getPayload(), 1, MAX_PAYLOAD, "a quick reply payload");
                }
            }
            case BUTTONS -> {
                body(c.getButtons().getBody(), "content.buttons.body", true);
                count(c.getButtons().getButtonsCount(), 1, 3, "content.buttons.buttons");
                for (Button b : c.getButtons().getButtonsList()) {
                    length(b.getLabel(), 1, 40, "a button label");
                    switch (b.getActionCase()) {
                        case URL -> httpsUrl(b.getUrl());
                        case POSTBACK_PAYLOAD -> length(b.getPostbackPayload(), 1, MAX_PAYLOAD, "a button postback_payload");
                        default -> throw ChatFailure.invalid("every button needs a url or a postback_payload");
                    }
                }
            }
            case RECEIPT -> receipt(c.getReceipt());
            case ACCOUNT_CARD, NOTICE -> throw ChatFailure.invalid(
                    "account cards and notices are made by the platform; businesses send text, quick replies, buttons or receipts");
            default -> throw ChatFailure.invalid("content is required (text, quick_replies, buttons or receipt)");
        }
        return c;
    }

    /** Each refusal names the field as the proto does, with the item's index, so that a shop can find what to fix. */
    private static void receipt(io.commercechat.proto.partner.v1.Receipt r) {
        if (!ORDER_NUMBER.matcher(r.getOrderNumber()).matches()) {
            throw ChatFailure.invalid("content.receipt.order_number must be 1-64 letters, digits or . _ / -,"
                    + " beginning with a letter or digit");
        }
        length(r.getMerchantName(), 1, 200, "content.receipt.merchant_name");
        count(r.getItemsCount(), 1, 100, "content.receipt.items");
        String currency = paid(r.hasTotal(), r.getTotal(), "content.receipt.total");
        for (int i = 0; i < r.getItemsCount(); i++) {
            ReceiptItem item = r.getItems(i);
            String field = "content.receipt.items[" + i + "]";
            length(item.getDescription(), 1, 200, field + ".description");
            if (item.getQuantity() < 1 || item.getQuantity() > 10_000) {
                throw ChatFailure.invalid(field + ".quantity must be between 1 and 10000");
            }
            if (!paid(item.hasUnitPrice(), item.getUnitPrice(), field + ".unit_price").equals(currency)) {
                throw ChatFailure.invalid(field + ".unit_price must be in " + currency + ", the currency of the total");
            }
        }
        if (r.hasPaidAt()) {
            Timestamp t = r.getPaidAt();
            if (t.getSeconds() < 0 || t.getSeconds() > 253402300799L || t.getNanos() < 0 || t.getNanos() > 999_999_999) {
                throw ChatFailure.invalid("content.receipt.paid_at is not a valid time");
            }
        }
    }

    /** An amount paid (money.proto's rules, and never negative: a receipt is a payment); returns its currency. */
    private static String paid(boolean present, Money m, String field) {
        if (!present) {
            throw ChatFailure.invalid(field + " is required");
        }
        if (!ContractFormats.isCurrency(m.getCurrency())) {
            throw ChatFailure.invalid(field + ".currency must be an ISO 4217 code in capitals, such as EUR");
        }
        if (m.getNanos() < -999_999_999 || m.getNanos() > 999_999_999) {
            throw ChatFailure.invalid(field + ".nanos must be between -999999999 and 999999999 (billionths of a unit)");
        }
        if ((m.getUnits() > 0 && m.getNanos() < 0) || (m.getUnits() < 0 && m.getNanos() > 0)) {
            throw ChatFailure.invalid(field + ": units and nanos must have the same sign");
        }
        if (m.getUnits() < 0 || m.getNanos() < 0) {
            throw ChatFailure.invalid(field + " must not be negative: a receipt is a payment (tell a refund in text)");
        }
        return m.getCurrency();
    }

    private static void httpsUrl(String url) {
        try {
            URI uri = new URI(url);
            if ("https".equals(uri.getScheme()) && uri.getHost() != null && url.length() <= 2000) {
                return;
            }
        } catch (Exception malformed) {
            // falls through
        }
        throw ChatFailure.invalid("a button url must be an https URL of at most 2000 characters");
    }

    public static String body(String body, String field, boolean required) {
        if (body == null || body.isBlank()) {
            if (required) {
                throw ChatFailure.invalid(field + " must not be empty");
            }
            return "";
        }
        if (body.length() > MAX_BODY) {
            throw ChatFailure.invalid(field + " is longer than " + MAX_BODY + " characters");
        }
        return body;
    }

    private static void length(String value, int min, int max, String field) {
        if (value.isBlank() || value.length() < min || value.length() > max) {
            throw ChatFailure.invalid(field + " must be " + min + "-" + max + " characters");
        }
    }

    private static void count(int n, int min, int max, String field) {
        if (n < min || n > max) {
            throw ChatFailure.invalid(field + " must have " + min + " to " + max + " entries");
        }
    }

    public static String toJson(Message message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("protobuf message cannot be printed as JSON", e);
        }
    }

    public static MessageContent contentFromJson(String json) {
        return parse(json, MessageContent.newBuilder()).build();
    }

    public static <B extends Message.Builder> B parse(String json, B builder) {
        try {
            PARSER.merge(json, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored JSON does not match its protobuf type", e);
        }
    }
}
