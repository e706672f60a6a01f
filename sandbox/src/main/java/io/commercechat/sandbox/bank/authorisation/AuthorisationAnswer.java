package io.commercechat.sandbox.bank.authorisation;

import jakarta.ws.rs.core.MediaType;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The person's answer as the authorisation page posts it (application/x-www-form-urlencoded). Read here rather than with
 * {@code @FormParam}: RESTEasy Reactive's form reader fails on a broken percent escape or a bad charset with bare runtime
 * exceptions (IllegalArgumentException, even StringIndexOutOfBoundsException) that cannot be told apart from the
 * sandbox's own bugs, so they became 500s where a person must be shown the page's own 400.
 */
record AuthorisationAnswer(String requestId, String customerId, List<String> accountIds, String decision) {

    static AuthorisationAnswer read(String body, MediaType type) {
        Charset charset = charset(type);
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (String pair : (body == null ? "" : body).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), charset);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), charset);
            fields.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }
        return new AuthorisationAnswer(first(fields, "request"), first(fields, "customer"),
                List.copyOf(fields.getOrDefault("account", List.of())), first(fields, "decision"));
    }

    /** Browsers send the page's charset (UTF-8) and name none; a named one must exist. */
    private static Charset charset(MediaType type) {
        String name = type == null ? null : type.getParameters().get(MediaType.CHARSET_PARAMETER);
        if (name == null) {
            return StandardCharsets.UTF_8;
        }
        try {
            return Charset.forName(name);
        } catch (IllegalArgumentException e) { // IllegalCharsetNameException, UnsupportedCharsetException
            throw unreadable();
        }
    }

    private static String decode(String encoded, Charset charset) {
        try {
            return URLDecoder.decode(encoded, charset);
        } catch (IllegalArgumentException e) { // a broken percent escape
            throw unreadable();
        }
    }

    private static String first(Map<String, List<String>> fields, String name) {
        List<String> values = fields.get(name);
        return values == null ? null : values.get(0);
    }

    private static AuthorisationProblem unreadable() {
        return new AuthorisationProblem(400, "Your answer could not be read. Go back to the authorisation page and choose again.");
    }
}
