package io.commercechat.accounts.grpc;

import io.commercechat.db.DatabaseOutages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/**
 * The one place where failures become gRPC statuses. A passing database outage (db-support) is UNAVAILABLE; anything
 * unexpected is INTERNAL with a generic sentence; the log gets the exception type only (messages may carry bank data).
 */
public final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    public static StatusRuntimeException toStatus(Throwable failure) {
        Throwable t = failure;
        while (t != null) {
            if (t instanceof StatusRuntimeException s) {
                return s;
            }
            t = t.getCause();
        }
        if (DatabaseOutages.passing(failure)) {
            // a lost connection, a failover, a deadlock, every pooled connection busy: the caller tries again
            LOG.warnf("database unavailable (%s)", failure.getClass().getName());
            return Status.UNAVAILABLE.withDescription(
                    "account-link-service could not complete this just now; try again in a moment").asRuntimeException();
        }
        LOG.errorf("unexpected failure (%s at %s)", failure.getClass().getName(),
                failure.getStackTrace().length > 0 ? failure.getStackTrace()[0] : "?");
        return Status.INTERNAL.withDescription("account-link-service could not complete the request").asRuntimeException();
    }
}
