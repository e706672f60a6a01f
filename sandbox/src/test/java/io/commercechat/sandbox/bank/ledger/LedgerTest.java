package io.commercechat.sandbox.bank.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.accounts.v1.TransactionStatus;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LedgerTest {

    private static final LocalDate DAY = LocalDate.of(2026, 3, 15);

    /**
     * From one day to the next, the booked balance moves by exactly the transactions that became booked (the new day's
     * scheduled ones, and spending that stopped being pending), and the available balance by the new day's
     * transactions; the day that leaves the window changes neither, as its transactions happened long ago.
     */
    @Test
    void aBalanceMovesOnlyByTheTransactionsOfTheNewDay() {
        Ledger today = new Ledger(at(DAY));
        Ledger tomorrow = new Ledger(at(DAY.plusDays(1)));
        long leftTheWindow = 0;
        for (Customer customer : Ledger.CUSTOMERS) {
            for (LedgerAccount account : today.accountsOf(customer.id())) {
                List<LedgerTransaction> before = today.transactionsOf(account);
                List<LedgerTransaction> after = tomorrow.transactionsOf(account);
                Set<String> knownBefore = before.stream().map(LedgerTransaction::id).collect(Collectors.toSet());
                Set<String> bookedBefore = before.stream().filter(LedgerTest::booked).map(LedgerTransaction::id)
                        .collect(Collectors.toSet());
                Set<String> knownAfter = after.stream().map(LedgerTransaction::id).collect(Collectors.toSet());

                long newlyBooked = after.stream().filter(t -> booked(t) && !bookedBefore.contains(t.id()))
                        .mapToLong(LedgerTransaction::amountMinor).sum();
                long newDay = after.stream().filter(t -> !knownBefore.contains(t.id())).mapToLong(LedgerTransaction::amountMinor).sum();
                leftTheWindow += before.stream().filter(t -> !knownAfter.contains(t.id())).count();

                Ledger.Balances b0 = today.balancesOf(account);
                Ledger.Balances b1 = tomorrow.balancesOf(account);
                assertEquals(newlyBooked, b1.bookedMinor() - b0.bookedMinor(), account + " booked");
                assertEquals(newDay, b1.availableMinor() - b0.availableMinor(), account + " available");
            }
        }
        assertTrue(leftTheWindow > 0, "some transactions left the window overnight (else this would test nothing)");
    }

    @Test
    void aBalanceIsTheSameWhicheverLedgerComputesIt() {
        LedgerAccount account = new Ledger(at(DAY)).accountsOf("cust-ada").get(0);
        assertEquals(new Ledger(at(DAY)).balancesOf(account), new Ledger(at(DAY)).balancesOf(account));
    }

    @Test
    void theOpeningBalanceIsEverythingBeforeTheBooksOpened() {
        Ledger opening = new Ledger(at(LedgerGenerator.BOOKS_OPENED));
        LedgerAccount current = opening.accountsOf("cust-grace").get(0);
        long pending = opening.transactionsOf(current).stream().filter(t -> !booked(t)).mapToLong(LedgerTransaction::amountMinor).sum();
        assertEquals(current.openingMinor(), opening.balancesOf(current).bookedMinor() + pending);
        assertEquals(current.openingMinor(), opening.balancesOf(current).availableMinor());
    }

    private static boolean booked(LedgerTransaction t) {
        return t.status() == TransactionStatus.TRANSACTION_STATUS_BOOKED;
    }

    private static Clock at(LocalDate day) {
        return Clock.fixed(day.atTime(12, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    }
}
