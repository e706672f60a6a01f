package io.commercechat.chat.conversation.service;

import io.commercechat.chat.config.ChatConfig;
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
public class PersonRefs {

    private final SecretKeySpec key;

    public PersonRefs(ChatConfig config) {
        this.key = new SecretKeySpec(config.personRefKey().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
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
