package io.commercechat.chat.business.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.config.ChatConfig.ConfiguredBusiness;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What a configuration of businesses must be before chat-service starts with it. */
class BusinessDirectoryEntriesTest {

    @Test
    void everyMistakeIsNamedByItsKey() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BusinessDirectory.entries(new TreeMap<>(Map.of(
                "Bad_Id", business("Shop", "SHOP", null),
                "acme-bank", business("Acme Bank", "BANK", null),
                "corner-shop", business(" ", "SHOP", "acme"),
                "other", business("Other", "KIOSK", null),
                "two-bank", business("Two", "BANK", "same"),
                "three-bank", business("Three", "BANK", "same")))));
        for (String expected : List.of("chat.businesses.Bad_Id: the id", "chat.businesses.acme-bank.partner-bank-id: a bank names",
                "chat.businesses.corner-shop.display-name", "chat.businesses.corner-shop.partner-bank-id: only a bank",
                "chat.businesses.other.kind: BANK or SHOP", "partner bank same is named by 2 businesses")) {
            assertTrue(e.getMessage().contains(expected), "missing '" + expected + "' in:\n" + e.getMessage());
        }
    }

    @Test
    void aGoodConfigurationBecomesItsBusinesses() {
        List<Business> entries = BusinessDirectory.entries(new TreeMap<>(Map.of(
                "acme-bank", business(" Acme Bank ", "bank", "acme"),
                "corner-shop", business("Corner Shop", "SHOP", " "))));
        assertEquals(2, entries.size());
        Business bank = entries.get(0);
        assertEquals("acme-bank", bank.id);
        assertEquals("Acme Bank", bank.displayName);
        assertEquals(Business.Kind.BANK, bank.kind);
        assertEquals("acme", bank.partnerBankId);
        assertEquals(Business.Kind.SHOP, entries.get(1).kind);
        assertNull(entries.get(1).partnerBankId, "blank is none");
    }

    private static ConfiguredBusiness business(String name, String kind, String bank) {
        return new ConfiguredBusiness() {
            @Override
            public String displayName() {
                return name;
            }

            @Override
            public String kind() {
                return kind;
            }

            @Override
            public Optional<String> partnerBankId() {
                return Optional.ofNullable(bank);
            }
        };
    }
}
