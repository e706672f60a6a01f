package io.commercechat.accounts.grpc;

import com.google.protobuf.ProtocolMessageEnum;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/** Input checks shared by every RPC; each failure is INVALID_ARGUMENT with a sentence saying what to fix. */
public final class Validate {

    private static final Pattern BANK_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final int MAX_REASON = 200;
    private static final int MAX_STATE = 256;
    private static final int MAX_CODE = 1024;
    private static final int MAX_URI = 2048;

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

    public static int validDays(int days) {
        if (days < 1 || days > 180) {
            throw GrpcErrors.invalid("valid_days must be between 1 and 180");
        }
        return days;
    }

    /** An absolute http(s) URI starting with one of the allowed prefixes. */
    public static String redirectUri(String value, List<String> allowedPrefixes) {
        if (value == null || value.isEmpty()) {
            throw GrpcErrors.invalid("redirect_uri is required");
        }
        if (value.length() > MAX_URI) {
            throw GrpcErrors.invalid("redirect_uri is longer than " + MAX_URI + " characters");
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw GrpcErrors.invalid("redirect_uri is not a valid URI");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getRawUserInfo() != null
                || uri.getRawFragment() != null) {
            throw GrpcErrors.invalid("redirect_uri must be an absolute http(s) URL without user info or fragment");
        }
        if (allowedPrefixes.stream().noneMatch(value::startsWith)) {
            throw GrpcErrors.invalid("redirect_uri is not an allowed redirect target");
        }
        return value;
    }

    public static String state(String value) {
        if (value == null || value.isEmpty()) {
            throw GrpcErrors.invalid("state is required");
        }
        if (value.length() > MAX_STATE) {
            throw GrpcErrors.invalid("state is longer than " + MAX_STATE + " characters");
        }
        return value;
    }

    public static String code(String value) {
        if (value.length() > MAX_CODE) {
            throw GrpcErrors.invalid("code is longer than " + MAX_CODE + " characters");
        }
        return value;
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
