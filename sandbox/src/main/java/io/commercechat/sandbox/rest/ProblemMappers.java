package io.commercechat.sandbox.rest;

import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The one place where REST failures become problem+json: 4xx with a reason, never a stack trace. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    private static final String BAD_JSON = "the request body is not valid JSON of the expected shape";

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        return respond(e.problem());
    }

    /** Framework rejections (unparseable JSON, wrong media type, unknown path, ...). */
    @ServerExceptionMapper
    public Response framework(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e);
        }
        String title = e.getResponse().getStatusInfo().getReasonPhrase();
        return respond(Problem.of(status, status == 404 ? "not-found" : "invalid-request", title, status == 400 ? BAD_JSON : title));
    }

    /**
     * JSON of the wrong shape ({@code {"seq":"abc"}}, {@code []} for an object): Quarkus passes Jackson's error on
     * unwrapped, and its own mappers answered a 400 that was not a problem. Each type its built-in mappers cover is
     * named, since the most specific mapper wins.
     */
    @ServerExceptionMapper({com.fasterxml.jackson.core.JsonProcessingException.class,
            com.fasterxml.jackson.core.JsonParseException.class, com.fasterxml.jackson.databind.exc.MismatchedInputException.class,
            com.fasterxml.jackson.databind.exc.InvalidFormatException.class,
            com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException.class,
            com.fasterxml.jackson.databind.exc.ValueInstantiationException.class})
    public Response json(com.fasterxml.jackson.core.JsonProcessingException e) {
        return respond(Problem.of(400, "invalid-request", "Bad Request", BAD_JSON));
    }

    /** Anything else is the sandbox's fault: a 500 problem, logged, never a stack trace to the caller. */
    @ServerExceptionMapper(priority = 10_000)
    public Response unexpected(Throwable t) {
        LOG.errorf(t, "unexpected failure (%s)", t.getClass().getName());
        return respond(Problem.of(500, "internal", "Internal error", "the sandbox could not complete the request"));
    }

    public static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }

    /** The same document for an answer given before JAX-RS runs (a Vert.x route guarding static files too). */
    public static void end(RoutingContext ctx, Problem p) {
        ctx.response().setStatusCode(p.status()).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end(Json.encode(p));
    }
}
