package io.commercechat.chat.rest;

import io.commercechat.chat.error.ChatFailure;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/** Path and query parameters, parsed here so a wrong value is a 400 that says which one. */
public final class RestParams {

    private RestParams() {}

    public static UUID uuid(String value, String name) {
        try {
            if (value != null && value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw ChatFailure.invalid(name + " must be a UUID");
    }

    public static long nonNegative(String value, String name) {
        if (value == null || value.isEmpty()) {
            return 0;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException malformed) {
            // falls through
        }
        throw ChatFailure.invalid(name + " must be a non-negative whole number");
    }

    public static int limit(String value, int defaultLimit) {
        if (value == null || value.isEmpty()) {
            return defaultLimit;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 100) {
                return n;
            }
        } catch (NumberFormatException malformed) {
            // falls through
        }
        throw ChatFailure.invalid("limit must be a whole number between 1 and 100");
    }

    public static String cursor(long position) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("c1:" + position).getBytes(StandardCharsets.UTF_8));
    }

    /** Long.MAX_VALUE for the first page. */
    public static long fromCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return Long.MAX_VALUE;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (raw.startsWith("c1:")) {
                return Long.parseLong(raw.substring(3));
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw ChatFailure.invalid("cursor is not a cursor from a previous response");
    }
}
