package io.commercechat.sandbox.money;

import io.commercechat.proto.common.v1.Money;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

/**
 * Money as the contract defines it (units + nanos, same sign), built from exact values only:
 * minor units (cents, pence) or BigDecimal. Never floating point.
 */
public final class Moneys {

    private static final BigDecimal NANOS_PER_UNIT = BigDecimal.valueOf(1_000_000_000L);

    private Moneys() {}

    /** An amount in minor units of a two-decimal currency (EUR, GBP), e.g. -175 = -1.75. */
    public static Money ofMinor(String currency, long minor) {
        return Money.newBuilder().setCurrency(currency).setUnits(minor / 100)
                .setNanos((int) (minor % 100) * 10_000_000).build();
    }

    public static Money of(String currency, BigDecimal amount) {
        BigDecimal scaled = amount.setScale(9, RoundingMode.UNNECESSARY);
        BigDecimal units = new BigDecimal(scaled.toBigInteger());
        return Money.newBuilder().setCurrency(currency).setUnits(units.longValueExact())
                .setNanos(scaled.subtract(units).multiply(NANOS_PER_UNIT).intValueExact()).build();
    }

    public static BigDecimal toDecimal(Money money) {
        return BigDecimal.valueOf(money.getUnits())
                .add(BigDecimal.valueOf(money.getNanos()).divide(NANOS_PER_UNIT))
                .stripTrailingZeros();
    }

    /**
     * The amount as a price is written: with the currency's minor-unit digits (20.50 and 100.00 in EUR or GBP, 100 in
     * JPY), and more only when the amount has them, so nothing is ever rounded away.
     */
    public static String format(Money money) {
        BigDecimal amount = toDecimal(money);
        return amount.setScale(Math.max(fractionDigits(money.getCurrency()), Math.max(0, amount.scale()))).toPlainString();
    }

    /** Of a currency ContractFormats accepted, so one this JVM knows. */
    private static int fractionDigits(String currency) {
        // -1 for codes without minor units of their own (XAU)
        return Math.max(0, Currency.getInstance(currency).getDefaultFractionDigits());
    }
}
