package io.commercechat.accounts.token.service;

import io.commercechat.accounts.config.AccountsConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for bank tokens. Keys come from configuration (a Kubernetes Secret) by key id; new
 * tokens use the active id, every configured id stays readable so keys rotate without downtime.
 * Each encryption has a fresh random 96-bit nonce; the link id is the associated data, so a
 * ciphertext copied onto another link does not decrypt.
 */
@ApplicationScoped
public class TokenCipher {

    public record Sealed(String keyId, byte[] nonce, byte[] ciphertext) {}

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final Map<String, SecretKey> keys = new TreeMap<>();
    private final String activeKeyId;
    private final Set<String> retiringKeyIds;
    private final SecureRandom random = new SecureRandom();

    public TokenCipher(AccountsConfig config) {
        config.tokenKeys().forEach((kid, b64) -> {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(b64.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("accounts.token-keys." + kid + " is not base64");
            }
            if (raw.length != 32) {
                throw new IllegalStateException("accounts.token-keys." + kid + " must be 32 bytes (AES-256), not " + raw.length);
            }
            keys.put(kid, new SecretKeySpec(raw, "AES"));
        });
        // from a Secret file operators edit: an editor's trailing newline is not part of the id
        activeKeyId = config.tokenKeysActive().strip();
        if (!keys.containsKey(activeKeyId)) {
            throw new IllegalStateException("accounts.token-keys-active names key id \"" + activeKeyId
                    + "\" but no accounts.token-keys." + activeKeyId + " is configured");
        }
        retiringKeyIds = new TreeSet<>(config.tokenKeysRetiring().orElse(Set.of()));
        for (String kid : retiringKeyIds) {
            if (kid.equals(activeKeyId) || !keys.containsKey(kid)) {
                throw new IllegalStateException("accounts.token-keys-retiring names key id \"" + kid + "\", which must be"
                        + " configured (accounts.token-keys." + kid + ") and not the active one");
            }
        }
    }

    public Sealed seal(UUID linkId, String token) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(activeKeyId), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(linkId));
            return new Sealed(activeKeyId, nonce, cipher.doFinal(token.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("token encryption failed", e);
        }
    }

    /** The key id {@link #seal} uses. */
    public String activeKeyId() {
        return activeKeyId;
    }

    /** Whether tokens sealed under {@code keyId} can be opened here. */
    public boolean knows(String keyId) {
        return keys.containsKey(keyId);
    }

    /** Key ids whose tokens are re-sealed under the active key (accounts.token-keys-retiring); readable until then. */
    public Set<String> retiringKeyIds() {
        return retiringKeyIds;
    }

    /** The same token sealed under the active key with a fresh nonce; the plaintext never leaves this class. */
    public Sealed reseal(UUID linkId, Sealed sealed) {
        return seal(linkId, open(linkId, sealed));
    }

    public String open(UUID linkId, Sealed sealed) {
        SecretKey key = keys.get(sealed.keyId());
        if (key == null) {
            throw new IllegalStateException("bank token of link " + linkId + " uses key id " + sealed.keyId()
                    + " which is no longer configured");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed.nonce()));
            cipher.updateAAD(aad(linkId));
            return new String(cipher.doFinal(sealed.ciphertext()), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("bank token of link " + linkId + " does not decrypt (wrong key or tampered)");
        }
    }

    private static byte[] aad(UUID linkId) {
        return linkId.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
