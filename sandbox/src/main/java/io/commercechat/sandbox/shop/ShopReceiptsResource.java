package io.commercechat.sandbox.shop;

import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.Receipt;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.sandbox.client.BusinessMessagingClient;
import io.commercechat.sandbox.client.OutgoingFailures;
import io.commercechat.sandbox.money.Moneys;
import io.commercechat.sandbox.rest.ProblemException;
import io.commercechat.sandbox.testhooks.TestHooks;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * Test hook: the demo shop sends a receipt into a conversation through chat-service's
 * BusinessMessaging, as partner {@code demo-shop}. Without items it sends a demo basket.
 */
@Path("/sandbox/shop/receipts")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class ShopReceiptsResource {

    private final DemoShop shop;
    private final BusinessMessagingClient messaging;
    private final TestHooks hooks;

    public ShopReceiptsResource(DemoShop shop, BusinessMessagingClient messaging, TestHooks hooks) {
        this.shop = shop;
        this.messaging = messaging;
        this.hooks = hooks;
    }

    public record ReceiptOrder(String conversationId, String currency, List<DemoShop.Item> items) {}

    public record SentReceipt(String orderNumber, String total, String currency, String messageId, long seq, boolean duplicate) {}

    @POST
    public Uni<SentReceipt> send(ReceiptOrder order) {
        hooks.requireEnabled();
        if (order == null || order.conversationId() == null || order.conversationId().isBlank()
                || order.conversationId().length() > 64) {
            throw ProblemException.badRequest("conversationId is required (the conversation with the demo shop, at most 64 characters)");
        }
        Receipt receipt;
        try {
            receipt = shop.receipt(order.currency() == null ? "EUR" : order.currency(),
                    order.items() == null ? DemoShop.DEMO_BASKET : order.items());
        } catch (IllegalArgumentException bad) {
            throw ProblemException.badRequest(bad.getMessage());
        }
        // each POST is a new order; its order number names the send, so chat-service takes a resend of it once
        return messaging.send(DemoShop.BUSINESS_ID, order.conversationId(), "receipt-" + receipt.getOrderNumber(),
                        MessageContent.newBuilder().setReceipt(receipt).build(), UpdateTag.UPDATE_TAG_POST_PURCHASE_UPDATE)
                .map(sent -> new SentReceipt(receipt.getOrderNumber(), Moneys.format(receipt.getTotal()),
                        receipt.getTotal().getCurrency(), sent.getMessage().getId(), sent.getMessage().getSeq(), sent.getDuplicate()))
                .onFailure().transform(f -> OutgoingFailures.toProblem(f, "chat-service", DemoShop.BUSINESS_ID));
    }
}
