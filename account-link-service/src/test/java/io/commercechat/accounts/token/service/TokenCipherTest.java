package io.commercechat.accounts.token.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.accounts.config.AccountsConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The active key id comes from the Secret file operators edit (k8s/README.md, "Rotate the token-encryption key"), through
 * the environment variable ACCOUNT_LINK_TOKEN_KEY_ID, with whatever trailing newline their editor saved.
 */
class TokenCipherTest {

    private static final String K1 = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String K2 = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    @Test
    void theActiveKeyIdIsReadWithoutTheNewlineAnEditorSavedAfterIt() {
        TokenCipher cipher = new TokenCipher(config("k2\n"));
        assertEquals("k2", cipher.activeKeyId());
        UUID link = UUID.randomUUID();
        TokenCipher.Sealed sealed = cipher.seal(link, "bank-token");
        assertEquals("k2", sealed.keyId(), "stored with the key id, as a replica without the newline would store it");
        assertEquals("bank-token", new TokenCipher(config("k2")).open(link, sealed));
    }

    @Test
    void anActiveKeyIdThatNamesNoConfiguredKeyStopsTheStartNamingIt() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TokenCipher(config(" k3\r\n")));
        assertTrue(e.getMessage().contains("key id \"k3\""), e.getMessage());
    }

    /** Configuration as account-link-service reads it: application.properties' expression and the environment. */
    private static AccountsConfig config(String activeKeyIdVariable) {
        return new SmallRyeConfigBuilder().addDefaultInterceptors().withMapping(AccountsConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of(
                        "accounts.token-keys.k1", K1,
                        "accounts.token-keys.k2", K2,
                        "accounts.token-keys-active", "${ACCOUNT_LINK_TOKEN_KEY_ID}",
                        "accounts.consent-service.host", "consent-service",
                        "accounts.consent-service.port", "9000",
                        "accounts.allowed-redirect-prefixes", "https://chat.commercechat.example/"), "application.properties", 250))
                .withSources(new EnvConfigSource(Map.of("ACCOUNT_LINK_TOKEN_KEY_ID", activeKeyIdVariable), 300))
                .build().getConfigMapping(AccountsConfig.class);
    }
}
