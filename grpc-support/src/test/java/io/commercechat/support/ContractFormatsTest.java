package io.commercechat.support;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ContractFormatsTest {

    @Test
    void aCurrencyIsAnIso4217CodeOfARealCurrency() {
        for (String code : new String[] {"EUR", "GBP", "USD", "JPY", "CHF", "SEK", "XAU"}) {
            assertTrue(ContractFormats.isCurrency(code), code);
        }
        // the shape is not enough: a made-up code, "no currency" and the testing code are not money a person has
        for (String code : new String[] {"QQQ", "ABC", "XXX", "XTS", "eur", "Eur", "EU", "EURO", "€", "", " EUR", "EUR\n"}) {
            assertFalse(ContractFormats.isCurrency(code), code);
        }
        assertFalse(ContractFormats.isCurrency(null));
    }
}
