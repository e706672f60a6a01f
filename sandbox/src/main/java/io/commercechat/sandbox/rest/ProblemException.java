package io.commercechat.sandbox.rest;

/** Thrown by REST resources; becomes an application/problem+json answer. */
public class ProblemException extends RuntimeException {

    private final Problem problem;

    public ProblemException(int status, String slug, String title, String detail) {
        super(detail, null, false, false);
        this.problem = Problem.of(status, slug, title, detail);
    }

    public Problem problem() {
        return problem;
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "invalid-request", "Invalid request", detail);
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(404, "not-found", "Not found", detail);
    }
}
