package io.commercechat.sandbox.bank.ledger;

import io.commercechat.proto.accounts.v1.AccountType;

/**
 * An account of a sandbox customer. {@code accountNumber} is the full IBAN or card number: it is
 * returned over BankConnector only and never logged.
 */
public record LedgerAccount(String id, String customerId, int index, String displayName, AccountType type,
        String currency, String accountNumber, long openingMinor, long creditLimitMinor) {

    @Override
    public String toString() {
        // keeps the account number out of any accidental log line
        return "LedgerAccount[" + id + "]";
    }
}
