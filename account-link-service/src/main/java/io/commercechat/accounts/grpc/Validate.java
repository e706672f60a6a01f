package io.commercechat.accounts.grpc;

import io.commercechat.support.GrpcValidation;
import io.commercechat.support.Rejections;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/** Account-link input checks (the shared ones are in GrpcValidation); each failure is INVALID_ARGUMENT. */
public final class Validate {

    private static final int MAX_REASON = 200;
    private static final int MAX_STATE = 256;
    private static final int MAX_CODE = 1024;
    private static final int MAX_URI = 2048;

    private Validate() {}

    public static int validDays(int days) {
        if (days < 1 || days > 180) {
            throw Rejections.invalid("valid_days must be between 1 and 180");
        }
        return days;
    }

    /** An absolute http(s) URI starting with one of the allowed prefixes. */
    public static String redirectUri(String value, List<String> allowedPrefixes) {
        GrpcValidation.required(value, "redirect_uri", MAX_URI);
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw Rejections.invalid("redirect_uri is not a valid URI");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getRawUserInfo() != null
                || uri.getRawFragment() != null) {
            throw Rejections.invalid("redirect_uri must be an absolute http(s) URL without user info or fragment");
        }
        if (allowedPrefixes.stream().noneMatch(value::startsWith)) {
            throw Rejections.invalid("redirect_uri is not an allowed redirect target");
        }
        return value;
    }

    public static String state(String value) {
        return GrpcValidation.required(value, "state", MAX_STATE);
    }

    public static String code(String value) {
        return GrpcValidation.optional(value, "code", MAX_CODE);
    }

    public static String reason(String reason) {
        return GrpcValidation.optional(reason, "reason", MAX_REASON);
    }

    /**
     * A reason this service composes (its own words and a bank's, each allowed up to the limit), cut to the
     * limit consent-service takes: a bank's valid 200-character reason must still end the consent.
     */
    public static String composedReason(String composed) {
        // a bank's words may carry a NUL, which PostgreSQL text cannot hold: the link would then not be failed
        String reason = composed.replace("\0", "");
        if (reason.length() <= MAX_REASON) {
            return reason;
        }
        int cut = MAX_REASON - 1;
        if (Character.isLowSurrogate(reason.charAt(cut))) {
            cut--;  // never half a character
        }
        return reason.substring(0, cut) + "…";
    }
}
