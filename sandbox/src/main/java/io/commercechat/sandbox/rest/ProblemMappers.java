package io.commercechat.sandbox.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The one place where REST failures become problem+json: 4xx with a reason, never a stack trace. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        return respond(e.problem());
    }

    /** Framework rejections (unparseable JSON, wrong media type, unknown path, ...). */
    @ServerExceptionMapper
    public Response framework(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            LOG.errorf(e, "unexpected failure (%s)", e.getClass().getName());
            return respond(Problem.of(500, "internal", "Internal error", "the sandbox could not complete the request"));
        }
        String title = e.getResponse().getStatusInfo().getReasonPhrase();
        return respond(Problem.of(status, status == 404 ? "not-found" : "invalid-request", title,
                status == 400 ? "the request body is not valid JSON of the expected shape" : title));
    }

    public static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }
}
