package io.commercechat.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * PKCE (RFC 7636, method S256) between account-link-service and a partner bank: the code a bank issues after the
 * person's approval is bound to the link that began the authorisation (BankConnector.BeginAuthorisation's
 * code_challenge, ExchangeCode's code_verifier). The web client does the same with the identity provider in
 * JavaScript (auth.js).
 */
public final class Pkce {

    /** RFC 7636 section 4.1: 43-128 characters of the unreserved set. */
    private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
    /** BASE64URL of a SHA-256 digest, without padding. */
    private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");

    private Pkce() {}

    /** A fresh verifier: 32 random bytes, base64url (43 characters). */
    public static String newVerifier(SecureRandom random) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** The S256 challenge of a verifier. */
    public static String challenge(String verifier) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(verifier));
    }

    public static boolean isVerifier(String value) {
        return value != null && VERIFIER.matcher(value).matches();
    }

    public static boolean isChallenge(String value) {
        return value != null && CHALLENGE.matcher(value).matches();
    }

    /** Whether the verifier is the one behind the challenge (compared in constant time). */
    public static boolean matches(String verifier, String challenge) {
        return isVerifier(verifier) && isChallenge(challenge)
                && MessageDigest.isEqual(challenge(verifier).getBytes(StandardCharsets.US_ASCII),
                        challenge.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
