package io.commercechat.sandbox.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Random opaque values (ids, codes, tokens) and the hashes under which secrets are kept. */
public final class Secrets {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** {@code bytes} random bytes, base64url without padding, behind a readable prefix. */
    public static String random(String prefix, int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A secret as logs may name it: the first 12 hex digits of its SHA-256 (enough to tell requests apart). */
    public static String logRef(String secret) {
        return hash(secret).substring(0, 12);
    }

    /** SHA-256 of a secret: the sandbox keeps codes and tokens only in this form. */
    public static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
