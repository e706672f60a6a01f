package io.commercechat.sandbox.grpc;

import io.commercechat.support.Rejections;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/**
 * The one place where failures become gRPC statuses. Anything unexpected is INTERNAL with a
 * generic sentence; details go to the log (ids only, never tokens or bank data).
 */
public final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    /** The contract's description for a token the bank does not (or no longer) honour. */
    public static final String TOKEN_REVOKED_OR_UNKNOWN = "bank token revoked or unknown";

    private GrpcErrors() {}

    public static Throwable toStatus(Throwable failure) {
        Throwable t = failure;
        while (t != null) {
            if (t instanceof StatusRuntimeException) {
                return t;
            }
            t = t.getCause();
        }
        LOG.errorf(failure, "unexpected failure (%s)", failure.getClass().getName());
        return Status.INTERNAL.withDescription("sandbox bank could not complete the request").asRuntimeException();
    }

    public static StatusRuntimeException tokenRevokedOrUnknown() {
        return Rejections.denied(TOKEN_REVOKED_OR_UNKNOWN);
    }
}
