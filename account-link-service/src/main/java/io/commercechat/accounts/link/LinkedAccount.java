package io.commercechat.accounts.link;

import io.commercechat.proto.accounts.v1.AccountType;
import java.util.UUID;

/** An account of a link: the bank's account id, names and the masked number (never the full number). */
public record LinkedAccount(UUID id, UUID linkId, int position, String bankAccountId, String displayName,
        AccountType type, String currency, String maskedNumber) {

    /** "•••• 4821": the last four characters of the number, nothing else. */
    public static String mask(String accountNumber) {
        String compact = accountNumber == null ? "" : accountNumber.replaceAll("\\s", "");
        if (compact.length() < 8) {
            return "••••";
        }
        return "•••• " + compact.substring(compact.length() - 4);
    }
}
