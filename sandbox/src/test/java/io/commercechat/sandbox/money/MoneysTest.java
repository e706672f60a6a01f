package io.commercechat.sandbox.money;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class MoneysTest {

    @Test
    void anAmountIsWrittenWithItsCurrencysMinorUnits() {
        assertEquals("20.50", Moneys.format(Moneys.of("GBP", new BigDecimal("20.5"))));
        assertEquals("100.00", Moneys.format(Moneys.of("EUR", new BigDecimal("100"))));
        assertEquals("100.00", Moneys.format(Moneys.ofMinor("EUR", 100_00)));
        assertEquals("0.00", Moneys.format(Moneys.ofMinor("GBP", 0)));
        assertEquals("-1.75", Moneys.format(Moneys.ofMinor("GBP", -175)));
        assertEquals("100", Moneys.format(Moneys.of("JPY", new BigDecimal("100"))));
        // digits beyond the currency's are kept, never rounded away
        assertEquals("1.125", Moneys.format(Moneys.of("EUR", new BigDecimal("1.125"))));
    }
}
