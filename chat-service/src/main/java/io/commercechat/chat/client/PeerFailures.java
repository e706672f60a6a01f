package io.commercechat.chat.client;

import io.commercechat.chat.error.ChatFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import org.jboss.logging.Logger;

/**
 * The one place where a peer's gRPC status becomes a {@link ChatFailure} (and so a problem
 * document): nothing a peer answers turns into a 500. Only the RPC name and the status code are
 * logged: descriptions may carry ids, and requests carry tokens.
 */
final class PeerFailures {

    private static final Logger LOG = Logger.getLogger(PeerFailures.class);
    private static final int MAX_DETAIL = 300;

    private PeerFailures() {}

    /**
     * @param peer        what the person knows the peer as, e.g. "your bank data"
     * @param rpc         the RPC, for the log
     * @param notFoundWhat the resource, e.g. "the account"
     * @param changes     the call changes something at the peer (a revocation) that a repeat must not do twice, rather
     *                    than reading (or only starting something a repeat starts again, as BeginLink)
     */
    static Throwable translate(Throwable failure, String peer, String rpc, String notFoundWhat, boolean changes) {
        if (failure instanceof ChatFailure f) {
            return f;
        }
        if (!(failure instanceof StatusRuntimeException e)) {
            LOG.warnf("%s failed (%s)", rpc, failure.getClass().getSimpleName());
            return changes ? outcomeUnknown(peer) : unavailable(peer);
        }
        Status.Code code = e.getStatus().getCode();
        String detail = detail(e.getStatus().getDescription());
        return switch (code) {
            case NOT_FOUND -> ChatFailure.notFound(notFoundWhat);
            case PERMISSION_DENIED -> ChatFailure.forbidden("access-denied",
                    detail.isEmpty() ? "there is no consent that allows this; link the account again" : detail);
            case INVALID_ARGUMENT, OUT_OF_RANGE -> ChatFailure.invalid(detail.isEmpty() ? "the request is not valid" : detail);
            case FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED -> ChatFailure.precondition("not-possible-now",
                    detail.isEmpty() ? "this cannot be done in the current state" : detail);
            case UNAUTHENTICATED -> new ChatFailure(ChatFailure.Kind.UNAUTHENTICATED, "unauthenticated",
                    "your sign-in could not be confirmed; sign in again");
            default -> {
                LOG.warnf("%s failed with %s", rpc, code);
                // a change may have been carried out unless the call never left: grpc-java answers UNAVAILABLE for a
                // refused connection (its cause a ConnectException) and for one that dropped while the call was out
                yield changes && !neverLeft(e) ? outcomeUnknown(peer) : unavailable(peer);
            }
        };
    }

    /**
     * No connection was made (refused, no route, or the peer's name did not resolve), so the peer never saw the call
     * (PeerFailuresTest checks what grpc-java answers for a refused connection).
     */
    private static boolean neverLeft(StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
            return false;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    private static ChatFailure unavailable(String peer) {
        return ChatFailure.unavailable("temporarily-unavailable",
                peer + " cannot be reached right now; nothing was changed, try again in a minute");
    }

    private static ChatFailure outcomeUnknown(String peer) {
        return ChatFailure.unavailable("temporarily-unavailable",
                peer + " did not confirm this; it may have been done, so look again before you try again");
    }

    /** Peers prefix relayed answers with their own name ("consent-service: ..."); the person needs only the reason. */
    private static String detail(String description) {
        if (description == null) {
            return "";
        }
        String d = description.replaceFirst("^[a-z-]+-service: ", "").strip();
        return d.length() > MAX_DETAIL ? d.substring(0, MAX_DETAIL) : d;
    }
}
