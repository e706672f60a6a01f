package io.commercechat.sandbox.grpc;

import io.commercechat.support.Rejections;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque cursor tokens shared by every list RPC. A token carries the sort key of the last item
 * returned and a fingerprint of the query, so it cannot be replayed against a different account
 * or date window.
 */
public final class PageTokens {

    private static final String PREFIX = "s1|";

    private PageTokens() {}

    public static String encode(String query, String lastKey) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((PREFIX + query.hashCode() + "|" + lastKey).getBytes(StandardCharsets.UTF_8));
    }

    /** The last key of the previous page, or null for the first page. */
    public static String decode(String token, String query) {
        if (token == null || token.isEmpty()) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            String expected = PREFIX + query.hashCode() + "|";
            if (raw.startsWith(expected) && raw.length() > expected.length()) {
                return raw.substring(expected.length());
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw Rejections.invalid("page_token is not a token from a previous response to the same request");
    }
}
