package io.commercechat.sandbox.bank.ledger;

import io.commercechat.proto.accounts.v1.TransactionStatus;
import java.time.Instant;

/** One generated transaction; amounts in minor units, negative for money going out. */
public record LedgerTransaction(String id, Instant bookedAt, long amountMinor, String currency, String description,
        String merchantName, String category, TransactionStatus status) {

    /** Sort key of the newest-first order: booked time, then id (both descending). */
    public String cursorKey() {
        return String.format("%019d|%s", bookedAt.toEpochMilli(), id);
    }

    @Override
    public String toString() {
        return "LedgerTransaction[" + id + "]";
    }
}
