package io.commercechat.chat.grpc;

import io.commercechat.chat.error.ChatFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/**
 * The one place where failures become gRPC statuses; a passing database outage is UNAVAILABLE, anything unexpected
 * is INTERNAL with a generic sentence.
 */
public final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    public static Throwable toStatus(Throwable failure) {
        Throwable t = failure;
        while (t != null) {
            if (t instanceof StatusRuntimeException) {
                return t;
            }
            if (t instanceof ChatFailure f) {
                Status status = switch (f.kind()) {
                    case INVALID -> Status.INVALID_ARGUMENT;
                    case NOT_FOUND -> Status.NOT_FOUND;
                    case CONFLICT -> Status.ALREADY_EXISTS;
                    case PRECONDITION -> Status.FAILED_PRECONDITION;
                    case FORBIDDEN -> Status.PERMISSION_DENIED;
                    case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
                    case UNAVAILABLE -> Status.UNAVAILABLE;
                    case TOO_MANY -> Status.RESOURCE_EXHAUSTED;
                };
                return status.withDescription(f.getMessage()).asRuntimeException();
            }
            t = t.getCause();
        }
        ChatFailure outage = ChatFailure.ofDatabaseOutage(failure);
        if (outage != null) {
            LOG.warnf("database unavailable (%s)", failure.getClass().getName());
            return Status.UNAVAILABLE.withDescription(outage.getMessage()).asRuntimeException();
        }
        LOG.errorf(failure, "unexpected failure (%s)", failure.getClass().getName());
        return Status.INTERNAL.withDescription("chat-service could not complete the request").asRuntimeException();
    }
}
