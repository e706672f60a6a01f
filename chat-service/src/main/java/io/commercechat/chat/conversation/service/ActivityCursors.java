package io.commercechat.chat.conversation.service;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.conversation.Party;
import io.commercechat.chat.error.ChatFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Page cursors of conversation lists. A list is ordered by the conversations' activity sequence, which is one counter
 * for the whole platform: a cursor that carried it in clear would let a business (or a person) read how much happens
 * on the platform between two of its own pages. So the cursor is the sequence encrypted (AES-256-GCM, a fresh nonce
 * each time) and bound to the party it was issued to: another party's cursor, or a changed one, is refused like any
 * text that is not a cursor. The key is derived from {@code chat.person-ref-key} (HMAC-SHA256 with a label of its own,
 * so it is independent of the person_ref key), so every replica reads every replica's cursors, also after a restart.
 */
@ApplicationScoped
public class ActivityCursors {

    private static final byte[] LABEL = "commercechat conversation list cursor v1".getBytes(StandardCharsets.UTF_8);
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    public ActivityCursors(ChatConfig config) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(PersonRefs.key(config.personRefKey()), "HmacSHA256"));
            this.key = new SecretKeySpec(mac.doFinal(LABEL), "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** The cursor of the page after the conversation at {@code activitySeq}, for this party only. */
    public String after(Party party, long activitySeq) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, party);
            byte[] sealed = cipher.doFinal(ByteBuffer.allocate(Long.BYTES).putLong(activitySeq).array());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    /** The activity sequence the page continues below; {@link Long#MAX_VALUE} for no cursor (the first page). */
    public long before(Party party, String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return Long.MAX_VALUE;
        }
        try {
            byte[] raw = Base64.getUrlDecoder().decode(cursor);
            if (raw.length == NONCE_BYTES + Long.BYTES + TAG_BITS / 8) {
                byte[] nonce = new byte[NONCE_BYTES];
                System.arraycopy(raw, 0, nonce, 0, NONCE_BYTES);
                byte[] plain = cipher(Cipher.DECRYPT_MODE, nonce, party).doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES);
                return ByteBuffer.wrap(plain).getLong();
            }
        } catch (IllegalArgumentException | GeneralSecurityException notOurs) {
            // falls through: not base64, not ours, not this party's, or changed
        }
        throw ChatFailure.invalid("the cursor (page_token) is not one from a previous response");
    }

    private Cipher cipher(int mode, byte[] nonce, Party party) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        // bound to the party: "p:<sub>" or "b:<business id>" (a subject cannot pass for a business id)
        cipher.updateAAD(party.inbox().getBytes(StandardCharsets.UTF_8));
        return cipher;
    }
}
