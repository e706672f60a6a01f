package io.commercechat.chat.grpc;

import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.rest.RestParams;
import java.util.UUID;

/** gRPC request checks; each failure is INVALID_ARGUMENT with a sentence naming the field. */
public final class Validate {

    private Validate() {}

    public static UUID uuid(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw ChatFailure.invalid(field + " is required");
        }
        return RestParams.uuid(value, field);
    }

    /** 0 means the default; otherwise 1..100. */
    public static int pageSize(int requested, int defaultSize) {
        if (requested < 0 || requested > 100) {
            throw ChatFailure.invalid("page_size must be between 1 and 100 (0 for the default)");
        }
        return requested == 0 ? defaultSize : requested;
    }

    public static long nonNegative(long value, String field) {
        if (value < 0) {
            throw ChatFailure.invalid(field + " must not be negative");
        }
        return value;
    }
}
