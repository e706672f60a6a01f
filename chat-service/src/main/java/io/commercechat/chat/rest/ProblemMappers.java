package io.commercechat.chat.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.commercechat.chat.error.ChatFailure;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one set of REST error mappers: every failure becomes an RFC 9457 problem with a stable
 * type. A passing database outage is a 503 ({@link ChatFailure#ofDatabaseOutage}); anything unexpected is a 500 with a
 * generic sentence (and the cause in the log), but no input a client can send is meant to get there.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response chat(ChatFailure f) {
        int status = switch (f.kind()) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT, PRECONDITION -> 409;
            case FORBIDDEN -> 403;
            case UNAUTHENTICATED -> 401;
            case UNAVAILABLE -> 503;
            case TOO_MANY -> 429;
        };
        Response problem = Problem.response(status, f.type(), f.getMessage());
        return switch (f.kind()) {
            case UNAUTHENTICATED -> Response.fromResponse(problem).header("WWW-Authenticate", "Bearer").build();
            case UNAVAILABLE, TOO_MANY -> Response.fromResponse(problem).header("Retry-After", "30").build();
            default -> problem;
        };
    }

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        List<String> errors = e.getConstraintViolations().stream().map(ProblemMappers::describe).sorted()
                .collect(Collectors.toList());
        return Problem.response(400, "invalid-request", "the request is not valid: " + String.join("; ", errors), errors);
    }

    private static String describe(ConstraintViolation<?> v) {
        String path = v.getPropertyPath().toString();
        // "send.body.text" -> "text": the method and parameter names mean nothing to a client
        String[] parts = path.split("\\.");
        String field = parts.length > 2 ? String.join(".", java.util.Arrays.copyOfRange(parts, 2, parts.length))
                : parts.length == 2 ? "body" : path;
        return field + " " + v.getMessage();
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        String detail;
        if (e instanceof UnrecognizedPropertyException u) {
            detail = "unknown field '" + u.getPropertyName() + "'";
        } else if (e instanceof InvalidFormatException || e instanceof MismatchedInputException) {
            MismatchedInputException m = (MismatchedInputException) e;
            String field = m.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]" : r.getFieldName())
                    .collect(Collectors.joining("."));
            if (e instanceof UnicodeText.NotUnicodeText) {
                detail = (field.isEmpty() ? "the body" : "field '" + field + "'")
                        + " is not Unicode text: it has half of a character (a surrogate without its pair, e.g. a cut emoji)";
            } else {
                detail = field.isEmpty() ? "the body does not have the expected JSON shape"
                        : "field '" + field + "' has the wrong type";
            }
        } else {
            detail = "the body is not well-formed JSON";
        }
        return Problem.response(400, "malformed-body", detail);
    }

    // Quarkus ships mappers for these subtypes that answer with an empty body; these win over them.
    @ServerExceptionMapper
    public Response jsonParse(com.fasterxml.jackson.core.JsonParseException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response invalidFormat(InvalidFormatException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response unrecognizedProperty(UnrecognizedPropertyException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response valueInstantiation(com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e) {
        return unauthenticated();
    }

    @ServerExceptionMapper
    public Response authenticationFailed(AuthenticationFailedException e) {
        return unauthenticated();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return Problem.response(403, "forbidden", "this API is for people signed in to Commerce Chat (a user token)");
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (e instanceof NotFoundException) {
            return Problem.response(404, "not-found", "there is no such resource");
        }
        if (e instanceof NotAllowedException) {
            return Problem.response(405, "method-not-allowed", "this resource does not support that method");
        }
        if (e instanceof NotSupportedException) {
            return Problem.response(415, "unsupported-media-type", "send the body as application/json");
        }
        if (e instanceof NotAcceptableException) {
            return Problem.response(406, "not-acceptable", "this resource answers with application/json");
        }
        if (e.getCause() instanceof JsonProcessingException j) {
            return json(j);
        }
        if (status == 413) {
            return Problem.response(413, "body-too-large", "the request body is too large");
        }
        if (status >= 500) {
            LOG.errorf(e, "request failed with %d", status);
            return Problem.response(status, "server-error", "chat-service could not complete the request; try again");
        }
        return Problem.response(status, status == 400 ? "invalid-request" : "http-" + status,
                status == 400 ? "the request is not valid" : "the request could not be served");
    }

    @ServerExceptionMapper(priority = 10_000)
    public Response unexpected(Throwable t) {
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (c instanceof ChatFailure f) {
                return chat(f);
            }
        }
        ChatFailure outage = ChatFailure.ofDatabaseOutage(t);
        if (outage != null) {
            LOG.warnf("database unavailable (%s)", t.getClass().getName());
            return chat(outage);
        }
        LOG.errorf(t, "unexpected failure (%s)", t.getClass().getName());
        return Problem.response(500, "server-error", "chat-service could not complete the request; try again");
    }

    static Response unauthenticated() {
        return Response.fromResponse(Problem.response(401, "unauthenticated",
                "a valid bearer token is required (it may have expired)")).header("WWW-Authenticate", "Bearer").build();
    }
}
