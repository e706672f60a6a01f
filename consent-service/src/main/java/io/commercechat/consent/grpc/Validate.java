package io.commercechat.consent.grpc;

import io.commercechat.support.ContractFormats;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.Rejections;
import java.util.LinkedHashSet;
import java.util.List;

/** Consent-specific input checks (the shared ones are in GrpcValidation); each failure is INVALID_ARGUMENT. */
public final class Validate {

    private static final int MAX_REASON = 200;
    private static final int MAX_USER_ID = 255;

    private Validate() {}

    public static String userId(String value) {
        return GrpcValidation.optional(value, "user_id", MAX_USER_ID);
    }

    public static List<String> accountIds(List<String> ids) {
        if (ids.size() > ContractFormats.MAX_CONSENT_ACCOUNTS) {
            throw Rejections.invalid("at most " + ContractFormats.MAX_CONSENT_ACCOUNTS + " account_ids");
        }
        for (String id : ids) {
            if (!ContractFormats.isAccountId(id)) {
                throw Rejections.invalid("account_ids must be 1-64 characters of letters, digits, '_' and '-'");
            }
        }
        return List.copyOf(new LinkedHashSet<>(ids));
    }

    public static String accountId(String id) {
        if (!id.isEmpty() && !ContractFormats.isAccountId(id)) {
            throw Rejections.invalid("account_id must be 1-64 characters of letters, digits, '_' and '-'");
        }
        return id;
    }

    public static String reason(String reason) {
        return GrpcValidation.optional(reason, "reason", MAX_REASON);
    }
}
