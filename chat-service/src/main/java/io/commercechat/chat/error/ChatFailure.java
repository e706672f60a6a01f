package io.commercechat.chat.error;

import io.commercechat.db.DatabaseOutages;

/**
 * A failure the caller can act on. Both edges translate it in one place each: REST into an RFC
 * 9457 problem ({@code rest/ProblemMappers}), gRPC into a status ({@code grpc/GrpcErrors}).
 */
public class ChatFailure extends RuntimeException {

    public enum Kind { INVALID, NOT_FOUND, CONFLICT, PRECONDITION, FORBIDDEN, UNAUTHENTICATED, UNAVAILABLE, TOO_MANY }

    private final Kind kind;
    /** Stable, machine-readable slug; the problem type URI ends with it. */
    private final String type;

    public ChatFailure(Kind kind, String type, String detail) {
        super(detail, null, false, false);
        this.kind = kind;
        this.type = type;
    }

    public Kind kind() {
        return kind;
    }

    public String type() {
        return type;
    }

    public static ChatFailure invalid(String detail) {
        return new ChatFailure(Kind.INVALID, "invalid-request", detail);
    }

    public static ChatFailure notFound(String what) {
        return new ChatFailure(Kind.NOT_FOUND, "not-found", what + " does not exist or is not yours");
    }

    public static ChatFailure conflict(String type, String detail) {
        return new ChatFailure(Kind.CONFLICT, type, detail);
    }

    public static ChatFailure precondition(String type, String detail) {
        return new ChatFailure(Kind.PRECONDITION, type, detail);
    }

    public static ChatFailure forbidden(String type, String detail) {
        return new ChatFailure(Kind.FORBIDDEN, type, detail);
    }

    /** A peer this request needs cannot answer now; {@code detail} says what the person can do. */
    public static ChatFailure unavailable(String type, String detail) {
        return new ChatFailure(Kind.UNAVAILABLE, type, detail);
    }

    /** The failure to answer with when {@code failure} is a passing database outage (db-support), else null. */
    public static ChatFailure ofDatabaseOutage(Throwable failure) {
        return DatabaseOutages.passing(failure) ? unavailable("temporarily-unavailable",
                "chat-service could not complete this just now; try again in a moment") : null;
    }

    /** The caller holds as much of a bounded resource as it may (e.g. open event streams); it can retry later. */
    public static ChatFailure tooMany(String type, String detail) {
        return new ChatFailure(Kind.TOO_MANY, type, detail);
    }
}
