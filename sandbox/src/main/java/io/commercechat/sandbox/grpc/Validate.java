package io.commercechat.sandbox.grpc;

import io.commercechat.support.GrpcValidation;
import io.commercechat.support.Pkce;
import io.commercechat.support.Rejections;
import java.net.URI;
import java.net.URISyntaxException;

/** Sandbox-bank input checks (the shared ones are in GrpcValidation); each failure is INVALID_ARGUMENT. */
public final class Validate {

    private Validate() {}

    /** An absolute http(s) URL without a fragment or user info, as OAuth requires of redirect URIs. */
    public static String redirectUri(String value) {
        GrpcValidation.required(value, "redirect_uri", 2000);
        try {
            URI uri = new URI(value);
            if (uri.getRawUserInfo() != null) {
                // http://127.0.0.1:@evil.example/cb reads as loopback to a person or a prefix check, yet goes to evil.example
                throw Rejections.invalid("redirect_uri must not contain user info (a user or user:password@ before the host)");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getFragment() == null) {
                return value;
            }
        } catch (URISyntaxException malformed) {
            // falls through
        }
        throw Rejections.invalid("redirect_uri must be an absolute http(s) URL without a fragment");
    }

    /** PKCE S256 challenge (RFC 7636): required, 43 characters of base64url. */
    public static String codeChallenge(String value) {
        if (!Pkce.isChallenge(value)) {
            throw Rejections.invalid("code_challenge is required: BASE64URL(SHA-256(code_verifier)), 43 characters (PKCE, S256)");
        }
        return value;
    }

    /** PKCE verifier (RFC 7636): required, 43-128 characters of [A-Za-z0-9-._~]. */
    public static String codeVerifier(String value) {
        if (!Pkce.isVerifier(value)) {
            throw Rejections.invalid("code_verifier is required: 43-128 characters of [A-Za-z0-9-._~] (PKCE)");
        }
        return value;
    }
}
