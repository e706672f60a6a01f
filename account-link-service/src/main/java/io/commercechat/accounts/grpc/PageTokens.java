package io.commercechat.accounts.grpc;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque cursor tokens and page sizes shared by every list RPC. */
public final class PageTokens {

    public static final int DEFAULT_SIZE = 20;
    public static final int MAX_SIZE = 100;

    private PageTokens() {}

    public static String encode(long cursor) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("c1:" + cursor).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code first} for an empty token (the start of the list). */
    public static long decode(String token, long first) {
        if (token == null || token.isEmpty()) {
            return first;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (raw.startsWith("c1:")) {
                return Long.parseLong(raw.substring(3));
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw GrpcErrors.invalid("page_token is not a token from a previous response");
    }

    public static int size(int requested) {
        if (requested < 0 || requested > MAX_SIZE) {
            throw GrpcErrors.invalid("page_size must be between 1 and " + MAX_SIZE);
        }
        return requested == 0 ? DEFAULT_SIZE : requested;
    }
}
