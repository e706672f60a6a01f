package io.commercechat.consent.grpc;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque cursor tokens and page sizes shared by every list RPC. */
public final class PageTokens {

    public static final int DEFAULT_SIZE = 20;
    public static final int MAX_SIZE = 100;

    private PageTokens() {}

    public static String encode(long seq) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("c1:" + seq).getBytes(StandardCharsets.UTF_8));
    }

    /** Long.MAX_VALUE for the first page (lists are newest first). */
    public static long decode(String token) {
        if (token == null || token.isEmpty()) {
            return Long.MAX_VALUE;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (raw.startsWith("c1:")) {
                return Long.parseLong(raw.substring(3));
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw Status.INVALID_ARGUMENT.withDescription("page_token is not a token from a previous response").asRuntimeException();
    }

    public static int size(int requested) {
        if (requested < 0 || requested > MAX_SIZE) {
            throw Status.INVALID_ARGUMENT.withDescription("page_size must be between 1 and " + MAX_SIZE).asRuntimeException();
        }
        return requested == 0 ? DEFAULT_SIZE : requested;
    }
}
