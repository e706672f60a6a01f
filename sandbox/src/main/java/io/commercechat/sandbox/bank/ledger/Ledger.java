package io.commercechat.sandbox.bank.ledger;

import io.commercechat.proto.accounts.v1.AccountType;
import io.commercechat.proto.accounts.v1.TransactionStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The sandbox bank's books: four fixed customers, their accounts, and a year of transactions up to
 * the start of the current day (UTC); balances count every day since the books opened. Generated
 * data is cached per day; safe for concurrent use.
 */
@ApplicationScoped
public class Ledger {

    public static final List<Customer> CUSTOMERS = List.of(
            new Customer("cust-ada", "Ada Lovelace", "GBP", "Analytical Engines Ltd", true),
            new Customer("cust-grace", "Grace Hopper", "EUR", "Cobol Systems BV", false),
            new Customer("cust-alan", "Alan Turing", "GBP", "Bletchley Computing", false),
            new Customer("cust-katherine", "Katherine Johnson", "EUR", "Orbital Mechanics GmbH", true));

    private final Clock clock;
    private final Map<String, Customer> customers;
    private final Map<String, List<LedgerAccount>> accountsByCustomer;
    private final Map<String, LedgerAccount> accounts;
    /** Keyed by account id and anchor day, so that a new day regenerates the window. */
    private final Map<String, List<LedgerTransaction>> transactions = new ConcurrentHashMap<>();
    /** Keyed the same way: what the days before the window add to the opening balance. */
    private final Map<String, Long> carried = new ConcurrentHashMap<>();

    public Ledger(Clock clock) {
        this.clock = clock;
        this.customers = CUSTOMERS.stream().collect(Collectors.toMap(Customer::id, Function.identity(),
                (x, y) -> x, LinkedHashMap::new));
        this.accountsByCustomer = CUSTOMERS.stream().collect(Collectors.toMap(Customer::id, LedgerGenerator::accountsOf));
        this.accounts = accountsByCustomer.values().stream().flatMap(List::stream)
                .collect(Collectors.toMap(LedgerAccount::id, Function.identity()));
    }

    public List<Customer> customers() {
        return CUSTOMERS;
    }

    public Optional<Customer> customer(String id) {
        return Optional.ofNullable(id == null ? null : customers.get(id));
    }

    public List<LedgerAccount> accountsOf(String customerId) {
        return accountsByCustomer.getOrDefault(customerId, List.of());
    }

    public Optional<LedgerAccount> account(String id) {
        return Optional.ofNullable(id == null ? null : accounts.get(id));
    }

    /** The start of the current day: data is stable within a day. */
    public Instant anchor() {
        return anchorDay().atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    private LocalDate anchorDay() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    /** Newest first. */
    public List<LedgerTransaction> transactionsOf(LedgerAccount account) {
        return transactionsOf(account, anchorDay());
    }

    private List<LedgerTransaction> transactionsOf(LedgerAccount account, LocalDate day) {
        String key = account.id() + "@" + day;
        List<LedgerTransaction> cached = transactions.get(key);
        if (cached != null) {
            return cached;
        }
        // drop other days of this account before computing today's window
        transactions.keySet().removeIf(k -> k.startsWith(account.id() + "@") && !k.equals(key));
        return transactions.computeIfAbsent(key,
                k -> LedgerGenerator.transactionsOf(customers.get(account.customerId()), account, day));
    }

    /**
     * Booked, available and (for cards) credit-limit balances, in minor units, as of {@link #anchor()}. The opening
     * balance is as of {@link LedgerGenerator#BOOKS_OPENED}, and the days between it and the window count too: from one
     * day to the next a balance changes by that day's transactions only, not because the window left a day behind.
     */
    public Balances balancesOf(LedgerAccount account) {
        LocalDate day = anchorDay();
        long booked = account.openingMinor() + carriedIntoWindow(account, day);
        long pending = 0;
        for (LedgerTransaction t : transactionsOf(account, day)) {
            if (t.status() == TransactionStatus.TRANSACTION_STATUS_PENDING) {
                pending += t.amountMinor();
            } else {
                booked += t.amountMinor();
            }
        }
        boolean card = account.type() == AccountType.ACCOUNT_TYPE_CREDIT_CARD;
        long available = card ? account.creditLimitMinor() + booked + pending : booked + pending;
        return new Balances(booked, available, card ? account.creditLimitMinor() : null,
                day.atStartOfDay().toInstant(ZoneOffset.UTC));
    }

    /** The net amount of the days from the books' opening to the window's first day (negative if the window starts earlier). */
    private long carriedIntoWindow(LedgerAccount account, LocalDate day) {
        String key = account.id() + "@" + day;
        Long cached = carried.get(key);
        if (cached != null) {
            return cached;
        }
        carried.keySet().removeIf(k -> k.startsWith(account.id() + "@") && !k.equals(key));
        return carried.computeIfAbsent(key, k -> LedgerGenerator.netBetween(customers.get(account.customerId()), account,
                LedgerGenerator.BOOKS_OPENED, day.minusDays(LedgerGenerator.HISTORY_DAYS)));
    }

    public record Balances(long bookedMinor, long availableMinor, Long creditLimitMinor, Instant asOf) {}
}
