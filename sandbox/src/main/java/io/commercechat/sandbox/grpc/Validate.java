package io.commercechat.sandbox.grpc;

import com.google.protobuf.ProtocolMessageEnum;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;

/** Input checks shared by every RPC; each failure is INVALID_ARGUMENT with a sentence saying what to fix. */
public final class Validate {

    private Validate() {}

    public static String required(String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            throw GrpcErrors.invalid(field + " is required");
        }
        return optional(value, field, maxLength);
    }

    public static String optional(String value, String field, int maxLength) {
        if (value != null && value.length() > maxLength) {
            throw GrpcErrors.invalid(field + " is longer than " + maxLength + " characters");
        }
        return value == null ? "" : value;
    }

    /** An absolute http(s) URL without a fragment, as OAuth requires of redirect URIs. */
    public static String redirectUri(String value) {
        required(value, "redirect_uri", 2000);
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getFragment() == null) {
                return value;
            }
        } catch (URISyntaxException malformed) {
            // falls through
        }
        throw GrpcErrors.invalid("redirect_uri must be an absolute http(s) URL without a fragment");
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
