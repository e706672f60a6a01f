package io.commercechat.support;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The statuses a service refuses a request with. The description is the sentence the caller
 * sees, so it says what was wrong and, where it can, what to do instead.
 */
public final class Rejections {

    private Rejections() {}

    public static StatusRuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }

    public static StatusRuntimeException notFound(String description) {
        return Status.NOT_FOUND.withDescription(description).asRuntimeException();
    }

    public static StatusRuntimeException precondition(String description) {
        return Status.FAILED_PRECONDITION.withDescription(description).asRuntimeException();
    }

    public static StatusRuntimeException denied(String description) {
        return Status.PERMISSION_DENIED.withDescription(description).asRuntimeException();
    }
}
