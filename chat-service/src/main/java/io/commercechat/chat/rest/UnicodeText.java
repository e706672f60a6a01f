package io.commercechat.chat.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;

/**
 * Request bodies' strings must be Unicode text. JSON lets a client write half of a surrogate pair ({@code "\ud83d"}, an
 * emoji cut in two); stored, it would become '?' in the database and fail the answer's own JSON, after the message was
 * sent. Refused instead, as a 400 naming the field ({@link ProblemMappers}).
 */
@Singleton
public class UnicodeText implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(new SimpleModule("unicode-text").addDeserializer(String.class, new Strict()));
    }

    /** Whether {@code s} has a surrogate without its other half. */
    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Thrown for such a string; a JSON mapping failure, so the body is refused before any resource runs. */
    public static final class NotUnicodeText extends InvalidFormatException {
        NotUnicodeText(JsonParser p, String value) {
            super(p, "a string with half of a surrogate pair", value, String.class);
        }
    }

    private static final class Strict extends StdScalarDeserializer<String> {
        Strict() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String s = StringDeserializer.instance.deserialize(p, ctxt);
            if (s != null && hasLoneSurrogate(s)) {
                throw new NotUnicodeText(p, s);
            }
            return s;
        }
    }
}
