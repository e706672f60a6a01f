package io.commercechat.consent.grpc;

import com.google.protobuf.ProtocolMessageEnum;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/** Input checks shared by every RPC; each failure is INVALID_ARGUMENT with a sentence saying what to fix. */
public final class Validate {

    private static final Pattern BANK_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final int MAX_REASON = 200;
    private static final int MAX_USER_ID = 255;

    private Validate() {}

    public static UUID uuid(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw GrpcErrors.invalid(field + " is required");
        }
        try {
            if (value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException malformed) {
            // falls through
        }
        throw GrpcErrors.invalid(field + " must be a UUID");
    }

    public static UUID optionalUuid(String value, String field) {
        return value == null || value.isEmpty() ? null : uuid(value, field);
    }

    public static String bankId(String value) {
        if (value == null || value.isEmpty()) {
            throw GrpcErrors.invalid("bank_id is required");
        }
        if (!BANK_ID.matcher(value).matches()) {
            throw GrpcErrors.invalid("bank_id must be 1-64 characters of a-z, 0-9 and '-'");
        }
        return value;
    }

    public static String userId(String value) {
        if (value.length() > MAX_USER_ID) {
            throw GrpcErrors.invalid("user_id is longer than " + MAX_USER_ID + " characters");
        }
        return value;
    }

    public static List<String> accountIds(List<String> ids) {
        if (ids.size() > 50) {
            throw GrpcErrors.invalid("at most 50 account_ids");
        }
        for (String id : ids) {
            if (!ACCOUNT_ID.matcher(id).matches()) {
                throw GrpcErrors.invalid("account_ids must be 1-64 characters of letters, digits, '_' and '-'");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(ids));
    }

    public static String accountId(String id) {
        if (!id.isEmpty() && !ACCOUNT_ID.matcher(id).matches()) {
            throw GrpcErrors.invalid("account_id must be 1-64 characters of letters, digits, '_' and '-'");
        }
        return id;
    }

    public static String reason(String reason) {
        if (reason.length() > MAX_REASON) {
            throw GrpcErrors.invalid("reason is longer than " + MAX_REASON + " characters");
        }
        return reason;
    }

    /** A known, specified enum value. */
    public static <E extends Enum<E> & ProtocolMessageEnum> E known(E value, String field) {
        if (value == null || value.name().equals("UNRECOGNIZED")) {
            throw GrpcErrors.invalid(field + " has an unknown value");
        }
        if (value.getNumber() == 0) {
            throw GrpcErrors.invalid(field + " is required");
        }
        return value;
    }

    /** At least one, each known, no duplicates. */
    public static <E extends Enum<E> & ProtocolMessageEnum> List<E> knownSet(Collection<E> values, String field) {
        if (values.isEmpty()) {
            throw GrpcErrors.invalid("at least one of " + field + " is required");
        }
        values.forEach(v -> known(v, field));
        if (new HashSet<>(values).size() != values.size()) {
            throw GrpcErrors.invalid(field + " contains duplicates");
        }
        return List.copyOf(values);
    }
}
