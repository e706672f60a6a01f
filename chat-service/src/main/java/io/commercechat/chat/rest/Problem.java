package io.commercechat.chat.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** An RFC 9457 problem document; {@code type} is stable and machine-readable, {@code detail} says what to do. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, List<String> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_BASE = "https://commercechat.example/problems/";

    public static Response response(int status, String slug, String detail) {
        return response(status, slug, detail, null);
    }

    public static Response response(int status, String slug, String detail, List<String> errors) {
        Response.StatusType st = Response.Status.fromStatusCode(status);
        String title = st == null ? "Error" : st.getReasonPhrase();
        return Response.status(status).type(MEDIA_TYPE).entity(new Problem(TYPE_BASE + slug, title, status, detail, errors))
                .build();
    }
}
