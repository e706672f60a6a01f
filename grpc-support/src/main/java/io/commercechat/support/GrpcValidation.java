package io.commercechat.support;

import com.google.protobuf.ProtocolMessageEnum;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Request checks every gRPC edge makes the same way. Each returns the value it accepted; each
 * failure is INVALID_ARGUMENT with a sentence that names the field and says what to fix.
 */
public final class GrpcValidation {

    /** What page_size 0 means in the list contracts ("1..100; 0 means 20"). */
    public static final int DEFAULT_PAGE_SIZE = 20;
    public static final int MAX_PAGE_SIZE = 100;

    // bank_id has one format in every contract that carries it
    private static final Pattern BANK_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private GrpcValidation() {}

    public static UUID uuid(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw Rejections.invalid(field + " is required");
        }
        try {
            if (value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw Rejections.invalid(field + " must be a UUID");
    }

    /** Null when the field is empty. */
    public static UUID optionalUuid(String value, String field) {
        return value == null || value.isEmpty() ? null : uuid(value, field);
    }

    /** Present (not blank) and at most {@code maxLength} characters. */
    public static String required(String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            throw Rejections.invalid(field + " is required");
        }
        return optional(value, field, maxLength);
    }

    /** At most {@code maxLength} characters, none of them NUL; absent is "". */
    public static String optional(String value, String field, int maxLength) {
        if (value != null && value.length() > maxLength) {
            throw Rejections.invalid(field + " is longer than " + maxLength + " characters");
        }
        if (value != null && value.indexOf('\0') >= 0) {
            // PostgreSQL text cannot hold it: refused here, where it is the caller's, not as a failed write (INTERNAL)
            throw Rejections.invalid(field + " must not contain NUL characters");
        }
        return value == null ? "" : value;
    }

    public static long nonNegative(long value, String field) {
        if (value < 0) {
            throw Rejections.invalid(field + " must not be negative");
        }
        return value;
    }

    /** The page size to use: 1..100 as asked, 0 means {@link #DEFAULT_PAGE_SIZE}. */
    public static int pageSize(int requested) {
        return pageSize(requested, DEFAULT_PAGE_SIZE);
    }

    /** The page size to use: 1..100 as asked, 0 means {@code defaultSize}. */
    public static int pageSize(int requested, int defaultSize) {
        if (requested < 0 || requested > MAX_PAGE_SIZE) {
            throw Rejections.invalid("page_size must be between 1 and " + MAX_PAGE_SIZE + " (0 means " + defaultSize + ")");
        }
        return requested == 0 ? defaultSize : requested;
    }

    public static String bankId(String value) {
        if (value == null || value.isEmpty()) {
            throw Rejections.invalid("bank_id is required");
        }
        if (!BANK_ID.matcher(value).matches()) {
            throw Rejections.invalid("bank_id must be 1-64 characters of a-z, 0-9 and '-'");
        }
        return value;
    }

    /** A known, specified enum value. */
    public static <E extends Enum<E> & ProtocolMessageEnum> E known(E value, String field) {
        if (value == null || value.name().equals("UNRECOGNIZED")) {
            throw Rejections.invalid(field + " has an unknown value");
        }
        if (value.getNumber() == 0) {
            throw Rejections.invalid(field + " is required");
        }
        return value;
    }

    /** At least one, each known, no duplicates. */
    public static <E extends Enum<E> & ProtocolMessageEnum> List<E> knownSet(Collection<E> values, String field) {
        if (values.isEmpty()) {
            throw Rejections.invalid("at least one of " + field + " is required");
        }
        values.forEach(v -> known(v, field));
        if (new HashSet<>(values).size() != values.size()) {
            throw Rejections.invalid(field + " contains duplicates");
        }
        return List.copyOf(values);
    }
}
