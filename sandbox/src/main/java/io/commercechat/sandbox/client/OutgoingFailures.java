package io.commercechat.sandbox.client;

import io.commercechat.sandbox.rest.ProblemException;
import io.grpc.StatusRuntimeException;
import io.quarkus.oidc.client.OidcClientException;
import org.jboss.logging.Logger;

/** The one place where failures of outgoing calls become REST problems for the test hooks. */
public final class OutgoingFailures {

    private static final Logger LOG = Logger.getLogger(OutgoingFailures.class);

    private OutgoingFailures() {}

    public static ProblemException toProblem(Throwable failure, String service, String business) {
        if (failure instanceof ProblemException p) {
            return p;
        }
        if (failure instanceof OidcClientException) {
            LOG.warnf("no partner token for %s: %s", business, failure.getClass().getSimpleName());
            return new ProblemException(503, "identity-unavailable", "Identity provider unavailable",
                    "could not obtain a partner token for " + business + " from the identity provider; is it running?");
        }
        if (failure instanceof StatusRuntimeException s) {
            LOG.warnf("%s answered %s", service, s.getStatus().getCode());
            return switch (s.getStatus().getCode()) {
                case UNAVAILABLE, DEADLINE_EXCEEDED -> new ProblemException(503, "dependency-unavailable",
                        service + " unavailable", service + " is unreachable or too slow (" + s.getStatus().getCode()
                                + "); start it and try again");
                case NOT_FOUND -> new ProblemException(404, "not-found", "Not found",
                        service + " answered NOT_FOUND: " + describe(s));
                case INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS -> new ProblemException(409, "rejected",
                        "Rejected by " + service, service + " rejected the call: " + describe(s));
                default -> new ProblemException(502, "dependency-failed", service + " failed",
                        service + " answered " + s.getStatus().getCode() + ": " + describe(s));
            };
        }
        LOG.errorf(failure, "call to %s failed (%s)", service, failure.getClass().getName());
        return new ProblemException(502, "dependency-failed", service + " failed", "the call to " + service + " failed");
    }

    private static String describe(StatusRuntimeException s) {
        return s.getStatus().getDescription() == null ? "no description" : s.getStatus().getDescription();
    }
}
