package io.commercechat.support;

import java.util.regex.Pattern;

/**
 * Formats the contracts give values that several services check (each with its own words to the caller): what a
 * consent can name as an account (and how many), and a currency code. One definition, so the services cannot drift apart.
 */
public final class ContractFormats {

    /** The most accounts one consent can name (consent_service.proto's account_ids). */
    public static final int MAX_CONSENT_ACCOUNTS = 50;
    /** A bank's account id as a consent names it: 1-64 letters, digits, '_' or '-'. */
    private static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** An ISO 4217 alphabetic code (three capital letters). */
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    private ContractFormats() {}

    public static boolean isAccountId(String value) {
        return ACCOUNT_ID.matcher(value).matches();
    }

    public static boolean isCurrency(String value) {
        return CURRENCY.matcher(value).matches();
    }
}
