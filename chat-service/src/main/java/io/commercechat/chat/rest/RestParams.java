package io.commercechat.chat.rest;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.error.ChatFailure;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/** Path and query parameters, parsed here so a wrong value is a 400 that says which one. */
public final class RestParams {

    /** The years a protobuf Timestamp can carry to the peers. */
    private static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST = Instant.parse("9999-12-31T23:59:59.999999999Z");

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

    /** The cursor after a row of a list ordered by name, then id (ids are [a-z0-9-], so the first ':' ends the id). */
    public static String nameCursor(String name, String id) {
        return opaque("n1", id + ":" + name);
    }

    /** {name, id} of the row a page starts after; null for the first page. */
    public static String[] fromNameCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        String idAndName = payload(cursor, "n1");
        int colon = idAndName.indexOf(':');
        if (colon < 1) {
            throw notACursor();
        }
        String id = idAndName.substring(0, colon);
        String name = idAndName.substring(colon + 1);
        // only what nameCursor() writes goes on to the query: PostgreSQL refuses text with a NUL in it (a 500 before)
        if (!Business.ID.matcher(id).matches() || name.length() > Business.MAX_DISPLAY_NAME || name.indexOf('\0') >= 0) {
            throw notACursor();
        }
        return new String[] {name, id};
    }

    /** Our cursors: a kind ("n1") and its payload, opaque to clients. */
    private static String opaque(String kind, String payload) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((kind + ":" + payload).getBytes(StandardCharsets.UTF_8));
    }

    /** The payload of a cursor of {@code kind}; a 400 for anything else. */
    private static String payload(String cursor, String kind) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (raw.startsWith(kind + ":")) {
                return raw.substring(kind.length() + 1);
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw notACursor();
    }

    private static ChatFailure notACursor() {
        return ChatFailure.invalid("cursor is not a cursor from a previous response");
    }

    /** A peer's opaque page token, passed through as our cursor ("" for the first page). */
    public static String peerCursor(String cursor) {
        if (cursor == null) {
            return "";
        }
        if (cursor.length() > 1024) {
            throw notACursor();
        }
        return cursor;
    }

    /** The next page's cursor, or null when there is none. */
    public static String nextCursor(String pageToken) {
        return pageToken == null || pageToken.isEmpty() ? null : pageToken;
    }

    /**
     * An instant (2025-03-01T10:00:00Z) or a day (2025-03-01, UTC; as {@code to} it means the
     * end of that day); null when absent.
     */
    public static Instant instant(String value, String name, boolean endOfDay) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        Instant at;
        try {
            at = Instant.parse(value);
        } catch (DateTimeParseException notAnInstant) {
            try {
                LocalDate day = LocalDate.parse(value);
                at = endOfDay ? day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).minusNanos(1)
                        : day.atStartOfDay().toInstant(ZoneOffset.UTC);
            } catch (DateTimeException notADay) {  // unparseable, or a day at the end of LocalDate's range
                throw ChatFailure.invalid(name + " must be a date (2025-03-01) or an instant (2025-03-01T10:00:00Z)");
            }
        }
        if (at.isBefore(FIRST) || at.isAfter(LAST)) {
            throw ChatFailure.invalid(name + " must be between the years 0001 and 9999");
        }
        return at;
    }
}
