package io.commercechat.accounts.bank;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each bank's token is asked for with a scope of its own, never the mesh token's. */
class BankRegistryTest {

    @Test
    void aScopeOfItsOwnForEveryBank() {
        assertDoesNotThrow(() -> BankRegistry.checkTokenScopes(Map.of("a-bank", "bank-a-bank", "b-bank", "bank-b-bank"),
                "commerce-chat"));
        var shared = assertThrows(IllegalStateException.class, () -> BankRegistry.checkTokenScopes(
                Map.of("a-bank", "banks", "b-bank", "banks"), "commerce-chat"));
        assertTrue(shared.getMessage().contains("a-bank and b-bank have the same token-scope 'banks'"), shared.getMessage());
        var mesh = assertThrows(IllegalStateException.class, () -> BankRegistry.checkTokenScopes(
                Map.of("a-bank", "commerce-chat"), "commerce-chat"));
        assertTrue(mesh.getMessage().contains("not the mesh token's scope 'commerce-chat'"), mesh.getMessage());
        assertThrows(IllegalStateException.class, () -> BankRegistry.checkTokenScopes(Map.of("a-bank", " "), "commerce-chat"));
    }
}
