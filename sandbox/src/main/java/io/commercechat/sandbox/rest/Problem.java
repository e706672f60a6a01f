package io.commercechat.sandbox.rest;

import com.fasterxml.jackson.annotation.JsonInclude;

/** RFC 9457 problem details; {@code type} is a stable machine-readable id, {@code detail} a sentence a person can act on. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem("urn:commercechat:problem:sandbox:" + slug, title, status, detail);
    }
}
