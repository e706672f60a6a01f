package io.commercechat.support;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque page tokens over a numeric cursor (a list sequence or an offset). Callers treat the
 * token as opaque, so the format can change behind these two methods.
 */
public final class PageTokens {

    private static final String PREFIX = "c1:";

    private PageTokens() {}

    public static String encode(long cursor) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((PREFIX + cursor).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor in the token; {@code first} for an empty token (the start of the list). */
    public static long decode(String token, long first) {
        if (token == null || token.isEmpty()) {
            return first;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (raw.startsWith(PREFIX)) {
                return Long.parseLong(raw.substring(PREFIX.length()));
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw Rejections.invalid("page_token is not a token from a previous response");
    }
}
