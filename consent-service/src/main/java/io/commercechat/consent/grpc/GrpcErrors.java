package io.commercechat.consent.grpc;

import io.commercechat.db.DatabaseOutages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.persistence.OptimisticLockException;
import org.hibernate.StaleObjectStateException;
import org.hibernate.exception.LockTimeoutException;
import org.jboss.logging.Logger;

/**
 * The one place where failures become gRPC statuses. A passing database outage (db-support) is UNAVAILABLE; anything
 * unexpected is INTERNAL with a generic sentence; details go to the log (ids only, never personal data).
 */
public final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    /** Whether consent.row-lock-timeout ran out while someone else held the consent (ConsentRepository.findForChange). */
    public static boolean lockTimedOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof LockTimeoutException) {
                return true;
            }
        }
        return false;
    }

    public static Throwable toStatus(Throwable failure) {
        Throwable t = failure;
        while (t != null) {
            if (t instanceof StatusRuntimeException) {
                return t;
            }
            if (t instanceof OptimisticLockException || t instanceof StaleObjectStateException) {
                return Status.ABORTED.withDescription("the consent was changed concurrently; read it again and retry")
                        .asRuntimeException();
            }
            if (t instanceof LockTimeoutException) {
                // consent.row-lock-timeout ran out while checks or another change held the consent (ConsentRepository)
                return Status.ABORTED.withDescription("the consent is busy with access checks or another change;"
                        + " nothing was changed, try again").asRuntimeException();
            }
            t = t.getCause();
        }
        if (DatabaseOutages.passing(failure)) {
            // a lost connection, a failover, a deadlock, every pooled connection busy: the caller tries again
            LOG.warnf("database unavailable (%s)", failure.getClass().getName());
            return Status.UNAVAILABLE.withDescription(
                    "consent-service could not complete this just now; try again in a moment").asRuntimeException();
        }
        LOG.errorf(failure, "unexpected failure (%s)", failure.getClass().getName());
        return Status.INTERNAL.withDescription("consent-service could not complete the request").asRuntimeException();
    }
}
