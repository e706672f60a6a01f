package io.commercechat.sandbox.shop;

import io.commercechat.proto.partner.v1.Receipt;
import io.commercechat.proto.partner.v1.ReceiptItem;
import io.commercechat.support.ContractFormats;
import io.commercechat.support.ProtoTime;
import io.commercechat.sandbox.money.Moneys;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo shop ({@code demo-shop}, a second partner business): builds receipts with exact money
 * (BigDecimal in, units + nanos out). Order numbers are unique per shop: the start time of this
 * process in base 36 plus a counter, so they do not repeat across restarts either.
 */
@ApplicationScoped
public class DemoShop {

    public static final String BUSINESS_ID = "demo-shop";
    public static final String MERCHANT_NAME = "Demo Shop";

    /** One line of an order; {@code unitPrice} in the order's currency, at most 2 decimals. */
    public record Item(String description, int quantity, BigDecimal unitPrice) {}

    public static final List<Item> DEMO_BASKET = List.of(
            new Item("Organic coffee beans, 1 kg", 1, new BigDecimal("18.90")),
            new Item("Ceramic mug", 2, new BigDecimal("7.50")),
            new Item("Oat milk, 1 l", 3, new BigDecimal("1.99")));

    private final Clock clock;
    private final String epoch;
    private final AtomicLong counter = new AtomicLong();

    public DemoShop(Clock clock) {
        this.clock = clock;
        this.epoch = Long.toString(clock.millis(), 36).toUpperCase(Locale.ROOT);
    }

    public String nextOrderNumber() {
        return "DS-" + epoch + "-" + String.format("%05d", counter.incrementAndGet());
    }

    /** Validates the order and builds its receipt; IllegalArgumentException says what is wrong. */
    public Receipt receipt(String currency, List<Item> items) {
        if (currency == null || !ContractFormats.isCurrency(currency)) {
            throw new IllegalArgumentException("currency must be an ISO 4217 code such as EUR or GBP");
        }
        if (items == null || items.isEmpty() || items.size() > 50) {
            throw new IllegalArgumentException("an order has 1 to 50 items");
        }
        BigDecimal total = BigDecimal.ZERO;
        Receipt.Builder receipt = Receipt.newBuilder().setOrderNumber(nextOrderNumber()).setMerchantName(MERCHANT_NAME)
                .setPaidAt(ProtoTime.of(clock.instant()));
        for (Item item : items) {
            if (item == null || item.description() == null || item.description().isBlank() || item.description().length() > 200) {
                throw new IllegalArgumentException("each item needs a description of 1 to 200 characters");
            }
            if (item.quantity() < 1 || item.quantity() > 999) {
                throw new IllegalArgumentException("quantity must be between 1 and 999");
            }
            if (item.unitPrice() == null || item.unitPrice().signum() < 0 || item.unitPrice().scale() > 2
                    || item.unitPrice().compareTo(new BigDecimal("100000")) > 0) {
                throw new IllegalArgumentException("unitPrice must be an amount between 0 and 100000 with at most 2 decimals");
            }
            receipt.addItems(ReceiptItem.newBuilder().setDescription(item.description()).setQuantity(item.quantity())
                    .setUnitPrice(Moneys.of(currency, item.unitPrice())));
            total = total.add(item.unitPrice().multiply(BigDecimal.valueOf(item.quantity())));
        }
        return receipt.setTotal(Moneys.of(currency, total)).build();
    }
}
