package io.commercechat.chat.conversation.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class PersonRefsKeyTest {

    @Test
    void thirtyTwoRandomBytesInBase64AreAKey() {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        assertEquals(44, PersonRefs.key(key).length);
        assertEquals(42, PersonRefs.key("dev-only-person-ref-key-not-for-production").length, "the dev and test default");
    }

    @Test
    void thePlaceholderOrAShortKeyStopsTheStart() {
        var placeholder = assertThrows(IllegalStateException.class, () -> PersonRefs.key("REPLACE-ME-random-32-bytes-base64"));
        assertTrue(placeholder.getMessage().contains("placeholder"), placeholder.getMessage());
        var shortKey = assertThrows(IllegalStateException.class, () -> PersonRefs.key("secret"));
        assertTrue(shortKey.getMessage().contains("at least 32 bytes"), shortKey.getMessage());
    }
}
