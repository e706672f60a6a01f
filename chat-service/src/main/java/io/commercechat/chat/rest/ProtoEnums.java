package io.commercechat.chat.rest;

import io.commercechat.chat.error.ChatFailure;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * REST shows protobuf enums by their short name (PERMISSION_BALANCES -> "BALANCES"; unspecified ->
 * absent) and accepts the short or the full name.
 */
public final class ProtoEnums {

    private ProtoEnums() {}

    public static String name(Enum<?> value, String prefix) {
        if (value == null || value.name().equals("UNRECOGNIZED") || value.name().endsWith("_UNSPECIFIED")) {
            return null;
        }
        String n = value.name();
        return n.startsWith(prefix) ? n.substring(prefix.length()) : n;
    }

    public static <E extends Enum<E>> E parse(Class<E> type, String prefix, String value, String field) {
        if (value != null && !value.isBlank()) {
            String full = value.startsWith(prefix) ? value : prefix + value;
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(full) && name(e, prefix) != null) {
                    return e;
                }
            }
        }
        String allowed = Arrays.stream(type.getEnumConstants()).map(e -> name(e, prefix)).filter(n -> n != null)
                .collect(Collectors.joining(", "));
        throw ChatFailure.invalid(field + " must be one of " + allowed);
    }
}
