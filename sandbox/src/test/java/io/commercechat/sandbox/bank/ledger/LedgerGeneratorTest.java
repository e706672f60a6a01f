package io.commercechat.sandbox.bank.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.accounts.v1.TransactionStatus;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LedgerGeneratorTest {

    private static final LocalDate ANCHOR = LocalDate.of(2026, 3, 15);

    @Test
    void accountNumbersAreValidIbansAndCardNumbers() {
        for (Customer c : Ledger.CUSTOMERS) {
            for (LedgerAccount a : LedgerGenerator.accountsOf(c)) {
                String n = a.accountNumber();
                if (n.startsWith("4000")) {
                    assertTrue(luhn(n), n + " passes Luhn");
                } else {
                    String rearranged = n.substring(4) + n.substring(0, 4);
                    StringBuilder digits = new StringBuilder();
                    rearranged.chars().forEach(ch -> digits.append(Character.isDigit(ch) ? String.valueOf((char) ch)
                            : String.valueOf(ch - 'A' + 10)));
                    assertEquals(1, new BigInteger(digits.toString()).mod(BigInteger.valueOf(97)).intValue(), "IBAN check");
                }
            }
        }
    }

    @Test
    void sameCustomerSameDataEveryTimeDifferentCustomersDiffer() {
        Customer ada = Ledger.CUSTOMERS.get(0);
        Customer alan = Ledger.CUSTOMERS.get(2);
        assertEquals(LedgerGenerator.accountsOf(ada), LedgerGenerator.accountsOf(ada));
        LedgerAccount current = LedgerGenerator.accountsOf(ada).get(0);
        assertEquals(LedgerGenerator.transactionsOf(ada, current, ANCHOR), LedgerGenerator.transactionsOf(ada, current, ANCHOR));
        assertNotEquals(LedgerGenerator.accountsOf(ada).get(0).accountNumber(), LedgerGenerator.accountsOf(alan).get(0).accountNumber());
    }

    @Test
    void aDateKeepsItsTransactionsWhenTheWindowMoves() {
        Customer grace = Ledger.CUSTOMERS.get(1);
        LedgerAccount current = LedgerGenerator.accountsOf(grace).get(0);
        // a week a month back (a single day may have none)
        LocalDate from = ANCHOR.minusDays(37);
        LocalDate to = ANCHOR.minusDays(30);
        List<LedgerTransaction> today = between(LedgerGenerator.transactionsOf(grace, current, ANCHOR), from, to);
        List<LedgerTransaction> tomorrow = between(LedgerGenerator.transactionsOf(grace, current, ANCHOR.plusDays(1)), from, to);
        assertFalse(today.isEmpty(), "the week from " + from + " has transactions to keep");
        assertEquals(today, tomorrow);
    }

    @Test
    void aYearOfHistoryOnlyRecentSpendingPendingAndSalaryMonthly() {
        Customer katherine = Ledger.CUSTOMERS.get(3);
        List<LedgerAccount> accounts = LedgerGenerator.accountsOf(katherine);
        assertEquals(Set.of("EUR", "GBP"), accounts.stream().map(LedgerAccount::currency).collect(Collectors.toSet()));
        List<LedgerTransaction> txs = LedgerGenerator.transactionsOf(katherine, accounts.get(0), ANCHOR);
        LocalDate oldest = txs.get(txs.size() - 1).bookedAt().atZone(ZoneOffset.UTC).toLocalDate();
        assertTrue(!oldest.isAfter(ANCHOR.minusDays(360)), oldest.toString());
        assertTrue(txs.get(0).bookedAt().isBefore(ANCHOR.atStartOfDay().toInstant(ZoneOffset.UTC)));
        assertTrue(txs.stream().anyMatch(t -> t.status() == TransactionStatus.TRANSACTION_STATUS_PENDING), "some are pending");
        for (LedgerTransaction t : txs) {
            if (t.status() == TransactionStatus.TRANSACTION_STATUS_PENDING) {
                assertTrue(t.bookedAt().isAfter(ANCHOR.minusDays(LedgerGenerator.PENDING_DAYS + 1).atStartOfDay()
                        .toInstant(ZoneOffset.UTC)));
                assertTrue(t.amountMinor() < 0);
            }
        }
        assertEquals(12, txs.stream().filter(t -> t.category().equals("salary")).count());
        assertEquals(txs.size(), txs.stream().map(LedgerTransaction::id).distinct().count());
    }

    private static List<LedgerTransaction> between(List<LedgerTransaction> txs, LocalDate from, LocalDate to) {
        return txs.stream().filter(t -> {
            LocalDate d = t.bookedAt().atZone(ZoneOffset.UTC).toLocalDate();
            return !d.isBefore(from) && !d.isAfter(to);
        }).toList();
    }

    private static boolean luhn(String n) {
        int sum = 0;
        for (int i = 0; i < n.length(); i++) {
            int d = n.charAt(n.length() - 1 - i) - '0';
            if (i % 2 == 1) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sum % 10 == 0;
    }
}
