package io.commercechat.support;

import java.util.Currency;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Formats the contracts give values that several services check (each with its own words to the caller): what a
 * consent can name as an account (and how many), and a currency code. One definition, so the services cannot drift apart.
 */
public final class ContractFormats {

    /** The most accounts one consent can name (consent_service.proto's account_ids). */
    public static final int MAX_CONSENT_ACCOUNTS = 50;
    /** A bank's account id as a consent names it: 1-64 letters, digits, '_' or '-'. */
    private static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /**
     * The ISO 4217 alphabetic codes of currencies, as the running JDK knows them (its table follows the standard's
     * amendments in its updates), without XXX ("no currency") and XTS (reserved for testing): three capital letters
     * alone let a made-up code such as QQQ through to a person's balance or receipt.
     */
    private static final Set<String> CURRENCIES = Currency.getAvailableCurrencies().stream().map(Currency::getCurrencyCode)
            .filter(code -> !code.equals("XXX") && !code.equals("XTS")).collect(Collectors.toUnmodifiableSet());

    private ContractFormats() {}

    public static boolean isAccountId(String value) {
        return ACCOUNT_ID.matcher(value).matches();
    }

    public static boolean isCurrency(String value) {
        return value != null && CURRENCIES.contains(value);
    }
}
