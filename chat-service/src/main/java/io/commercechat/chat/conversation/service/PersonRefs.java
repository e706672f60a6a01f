package io.commercechat.chat.conversation.service;

import io.commercechat.chat.config.ChatConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pairwise person references: HMAC-SHA256 of (business, subject) under a secret key, so each
 * business sees a stable id for a person that no other business shares and that reveals nothing
 * about the person's login subject.
 */
@ApplicationScoped
@Startup // a key that is no key stops the start, not the first conversation
public class PersonRefs {

    /** HMAC-SHA256's block is 64 bytes; a key of fewer than 32 random bytes is weaker than the hash. */
    static final int MIN_KEY_BYTES = 32;

    private final SecretKeySpec key;

    public PersonRefs(ChatConfig config) {
        this.key = new SecretKeySpec(key(config.personRefKey()), "HmacSHA256");
    }

    /**
     * The configured key's bytes; refused when it is shorter than {@link #MIN_KEY_BYTES} or is the repository's
     * placeholder (k8s/base: a Secret applied without being replaced would key every person_ref with a public value).
     */
    static byte[] key(String configured) {
        byte[] bytes = configured.getBytes(StandardCharsets.UTF_8);
        if (configured.startsWith("REPLACE-ME")) {
            throw new IllegalStateException("chat.person-ref-key (CHAT_PERSON_REF_KEY) is still the placeholder of k8s/base:"
                    + " set it to 32 random bytes, base64 (k8s/README.md, \"Create the Secrets\")");
        }
        if (bytes.length < MIN_KEY_BYTES) {
            throw new IllegalStateException("chat.person-ref-key (CHAT_PERSON_REF_KEY) must be at least " + MIN_KEY_BYTES
                    + " bytes (32 random bytes, base64, are 44 characters)");
        }
        return bytes;
    }

    public String of(String businessId, String sub) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal((businessId + "\n" + sub).getBytes(StandardCharsets.UTF_8));
            return "pr_" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 32);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
