package io.commercechat.sandbox.bank.ledger;

import io.commercechat.proto.accounts.v1.AccountType;
import io.commercechat.proto.accounts.v1.TransactionStatus;
import java.math.BigInteger;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic fake bank data. Every number comes from a {@link Random} seeded from the
 * customer id (and, for day-to-day spending, the calendar date), so a customer has the same
 * accounts on every run and the transactions of a given date never change; only the window
 * ({@link #HISTORY_DAYS} days before the anchor day) moves once a day. Amounts are minor units.
 */
public final class LedgerGenerator {

    public static final int HISTORY_DAYS = 365;
    /**
     * The accounts' opening balances ({@link LedgerAccount#openingMinor()}) are everything before this day, pending
     * included. Fixed, so that a balance moves only by the transactions of the days since, never because the window
     * moved past a day.
     */
    public static final LocalDate BOOKS_OPENED = LocalDate.of(2025, 1, 1);
    /** Spending on the last two days before the anchor is still pending. */
    static final int PENDING_DAYS = 2;

    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

    private LedgerGenerator() {}

    /** Java's String.hashCode is specified by the language, so this seed is stable across JVMs. */
    static long seedOf(String customerId) {
        return 0x5DEECE66DL ^ ((long) customerId.hashCode() << 16) ^ customerId.length();
    }

    // ---- accounts ----

    public static List<LedgerAccount> accountsOf(Customer c) {
        Random r = new Random(seedOf(c.id()));
        String home = c.homeCurrency();
        String slug = c.id().substring(c.id().indexOf('-') + 1);
        List<LedgerAccount> accounts = new ArrayList<>();
        accounts.add(new LedgerAccount(slug + "-current", c.id(), 0, "Everyday Current Account", AccountType.ACCOUNT_TYPE_CURRENT,
                home, iban(home, r), between(r, 80_000, 350_000), 0));
        accounts.add(new LedgerAccount(slug + "-savings", c.id(), 1, "Rainy Day Saver", AccountType.ACCOUNT_TYPE_SAVINGS,
                home, iban(home, r), between(r, 200_000, 1_500_000), 0));
        long limit = between(r, 20, 80) * 10_000L;
        accounts.add(new LedgerAccount(slug + "-card", c.id(), 2, "Sandbox Rewards Credit Card", AccountType.ACCOUNT_TYPE_CREDIT_CARD,
                home, pan(r), -between(r, 0, 60_000), limit));
        if (c.hasTravelWallet()) {
            String other = home.equals("EUR") ? "GBP" : "EUR";
            accounts.add(new LedgerAccount(slug + "-travel", c.id(), 3, "Travel Wallet (" + other + ")",
                    AccountType.ACCOUNT_TYPE_CURRENT, other, iban(other, r), between(r, 10_000, 90_000), 0));
        }
        return List.copyOf(accounts);
    }

    /** An IBAN with correct check digits (ISO 13616), GB for GBP and NL for EUR. */
    static String iban(String currency, Random r) {
        String bban = currency.equals("GBP")
                ? "SBOX" + digits(r, 6) + digits(r, 8)
                : "SBOX" + digits(r, 10);
        String country = currency.equals("GBP") ? "GB" : "NL";
        String numeric = toDigits(bban + country + "00");
        int check = 98 - new BigInteger(numeric).mod(BigInteger.valueOf(97)).intValue();
        return country + String.format("%02d", check) + bban;
    }

    /** A 16-digit test card number (4000 prefix) with a valid Luhn check digit. */
    static String pan(Random r) {
        String body = "4000" + digits(r, 11);
        int sum = 0;
        for (int i = 0; i < body.length(); i++) {
            int d = body.charAt(body.length() - 1 - i) - '0';
            if (i % 2 == 0) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
        }
        return body + ((10 - sum % 10) % 10);
    }

    private static String toDigits(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            b.append(Character.isDigit(ch) ? String.valueOf(ch) : String.valueOf(ch - 'A' + 10));
        }
        return b.toString();
    }

    private static String digits(Random r, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(r.nextInt(10));
        }
        return b.toString();
    }

    // ---- transactions ----

    /** The customer's monthly amounts, fixed for life. */
    record Profile(long salary, long rent, long utilities, long savingsTransfer, String landlord) {
        static Profile of(Customer c) {
            Random r = new Random(seedOf(c.id()) * 31 + 7);
            return new Profile(between(r, 3_400_00, 5_600_00), between(r, 850_00, 1_500_00), between(r, 60_00, 140_00),
                    between(r, 10, 50) * 10_00L, pick(r, LANDLORDS));
        }
    }

    private static final String[] LANDLORDS = {"Parkside Lettings", "Harbour Homes", "Elm Row Property"};
    private static final String[] GROCERIES_GBP = {"Tesco", "Sainsbury's", "Lidl", "Waitrose", "Co-op"};
    private static final String[] GROCERIES_EUR = {"Albert Heijn", "Carrefour", "Lidl", "Rewe", "Jumbo"};
    private static final String[] TRANSPORT_GBP = {"TfL Travel", "Uber", "Trainline"};
    private static final String[] TRANSPORT_EUR = {"NS Reizigers", "Uber", "Deutsche Bahn"};
    private static final String[] COFFEE = {"Pret A Manger", "Costa Coffee", "Starbucks", "Blue Bottle"};
    private static final String[] RESTAURANTS = {"Dishoom", "Wagamama", "Nando's", "Pizza Express", "Le Petit Bistro"};
    private static final String[] SHOPPING = {"Amazon", "IKEA", "Zara", "Apple Store", "Waterstones", "Decathlon"};
    private static final String[] TRAVEL = {"British Airways", "KLM", "Booking.com", "Airbnb", "Eurostar"};
    private static final String[] ENTERTAINMENT = {"Odeon Cinemas", "Ticketmaster", "Steam", "National Theatre"};
    private static final String[] ABROAD = {"Café de Flore", "Monoprix", "Galeries Lafayette", "El Corte Inglés", "Boots"};

    /**
     * Transactions of one account booked on the {@value #HISTORY_DAYS} days before {@code anchorDay},
     * newest first.
     */
    public static List<LedgerTransaction> transactionsOf(Customer c, LedgerAccount a, LocalDate anchorDay) {
        Profile p = Profile.of(c);
        List<LedgerTransaction> out = new ArrayList<>();
        for (int back = 1; back <= HISTORY_DAYS; back++) {
            generate(new Day(c, a, anchorDay.minusDays(back), back <= PENDING_DAYS, out), p);
        }
        out.sort((x, y) -> y.cursorKey().compareTo(x.cursorKey()));
        return List.copyOf(out);
    }

    /**
     * The net amount of every transaction of the account dated from {@code from} (inclusive) to {@code to} (exclusive),
     * booked or pending; the negated amount of [to, from) when {@code to} comes first.
     */
    static long netBetween(Customer c, LedgerAccount a, LocalDate from, LocalDate to) {
        if (to.isBefore(from)) {
            return -netBetween(c, a, to, from);
        }
        Profile p = Profile.of(c);
        List<LedgerTransaction> out = new ArrayList<>();
        for (LocalDate day = from; day.isBefore(to); day = day.plusDays(1)) {
            generate(new Day(c, a, day, false, out), p);
        }
        return out.stream().mapToLong(LedgerTransaction::amountMinor).sum();
    }

    private static void generate(Day d, Profile p) {
        switch (d.a.index()) {
            case 0 -> current(d, p);
            case 1 -> savings(d, p);
            case 2 -> card(d);
            default -> travel(d);
        }
    }

    /** Generation context of one account on one calendar date. */
    private static final class Day {
        final Customer c;
        final LedgerAccount a;
        final LocalDate date;
        final boolean pending;
        final Random r;
        final List<LedgerTransaction> out;
        int n;

        Day(Customer c, LedgerAccount a, LocalDate date, boolean pending, List<LedgerTransaction> out) {
            this.c = c;
            this.a = a;
            this.date = date;
            this.pending = pending;
            this.out = out;
            this.r = new Random(seedOf(c.id()) * 1_000_003L + a.index() * 7_919L + date.toEpochDay());
        }

        boolean chance(double p) {
            return r.nextDouble() < p;
        }

        boolean weekend() {
            return date.getDayOfWeek() == DayOfWeek.SATURDAY || date.getDayOfWeek() == DayOfWeek.SUNDAY;
        }

        /** Scheduled items (salary, rent, transfers) are booked; spending on the last days is pending. */
        void add(long amountMinor, String description, String merchant, String category, boolean scheduled) {
            LocalTime at = scheduled ? LocalTime.of(6, r.nextInt(60)) : LocalTime.of(7 + r.nextInt(15), r.nextInt(60), r.nextInt(60));
            String id = a.id() + "-" + DAY.format(date) + "-" + (++n);
            TransactionStatus status = pending && !scheduled ? TransactionStatus.TRANSACTION_STATUS_PENDING
                    : TransactionStatus.TRANSACTION_STATUS_BOOKED;
            out.add(new LedgerTransaction(id, date.atTime(at).toInstant(ZoneOffset.UTC), amountMinor, a.currency(),
                    description, merchant, category, status));
        }

        void spend(String merchant, String category, long minMinor, long maxMinor) {
            add(-between(r, minMinor, maxMinor), "Card payment to " + merchant, merchant, category, false);
        }
    }

    private static void current(Day d, Profile p) {
        YearMonth month = YearMonth.from(d.date);
        boolean gbp = d.a.currency().equals("GBP");
        if (d.date.getDayOfMonth() == 1) {
            d.add(-p.rent(), "Standing order to " + p.landlord(), p.landlord(), "housing", true);
        }
        if (d.date.getDayOfMonth() == 3) {
            String energy = gbp ? "Octopus Energy" : "Vattenfall";
            d.add(-vary(d.r, p.utilities()), "Direct debit " + energy, energy, "utilities", true);
        }
        if (d.date.getDayOfMonth() == 5) {
            d.add(-(gbp ? 25_00 : 29_99), "Direct debit Vodafone", "Vodafone", "bills", true);
        }
        if (d.date.getDayOfMonth() == 15) {
            d.add(-(gbp ? 10_99 : 12_99), "Card payment to Netflix", "Netflix", "subscriptions", true);
            d.add(-(gbp ? 11_99 : 10_99), "Card payment to Spotify", "Spotify", "subscriptions", true);
        }
        if (d.date.equals(payday(month))) {
            d.add(p.salary(), "Salary from " + d.c.employer(), d.c.employer(), "salary", true);
        }
        if (d.date.getDayOfMonth() == 26) {
            d.add(-p.savingsTransfer(), "Transfer to Rainy Day Saver", "", "transfer", true);
        }
        if (d.date.getDayOfMonth() == 28) {
            d.add(-cardRepayment(d.c, month), "Credit card repayment", "", "transfer", true);
        }
        if (d.chance(0.4)) {
            d.spend(pick(d.r, gbp ? GROCERIES_GBP : GROCERIES_EUR), "groceries", 8_00, 90_00);
        }
        if (d.chance(d.weekend() ? 0.2 : 0.6)) {
            d.spend(pick(d.r, gbp ? TRANSPORT_GBP : TRANSPORT_EUR), "transport", 2_40, 38_00);
        }
        if (!d.weekend() && d.chance(0.35)) {
            d.spend(pick(d.r, COFFEE), "eating_out", 2_10, 6_50);
        }
        if (d.chance(d.weekend() ? 0.35 : 0.1)) {
            d.spend(pick(d.r, RESTAURANTS), "eating_out", 15_00, 70_00);
        }
        if (d.chance(0.03)) {
            d.add(-between(d.r, 2, 20) * 10_00L, "Cash withdrawal", "", "cash", false);
        }
    }

    private static void savings(Day d, Profile p) {
        if (d.date.getDayOfMonth() == 26) {
            d.add(p.savingsTransfer(), "Transfer from Everyday Current Account", "", "transfer", true);
        }
        if (d.date.equals(YearMonth.from(d.date).atEndOfMonth())) {
            d.add(between(d.r, 1_00, 9_00), "Interest", "", "interest", true);
        }
    }

    private static void card(Day d) {
        if (d.date.getDayOfMonth() == 28) {
            d.add(cardRepayment(d.c, YearMonth.from(d.date)), "Repayment, thank you", "", "transfer", true);
        }
        if (d.chance(0.12)) {
            d.spend(pick(d.r, SHOPPING), "shopping", 10_00, 180_00);
        }
        if (d.chance(0.06)) {
            d.spend(pick(d.r, ENTERTAINMENT), "entertainment", 8_00, 80_00);
        }
        if (d.chance(0.015)) {
            d.spend(pick(d.r, TRAVEL), "travel", 80_00, 600_00);
        }
    }

    private static void travel(Day d) {
        if (d.date.getDayOfMonth() == 10) {
            d.add(200_00, "Top-up from Everyday Current Account", "", "transfer", true);
        }
        if (d.chance(0.12)) {
            d.spend(pick(d.r, ABROAD), d.chance(0.5) ? "shopping" : "eating_out", 3_00, 90_00);
        }
    }

    /** The same amount leaves the current account and reaches the card. */
    private static long cardRepayment(Customer c, YearMonth month) {
        Random r = new Random(seedOf(c.id()) * 17 + month.getYear() * 12L + month.getMonthValue());
        return between(r, 450_00, 700_00);
    }

    /** The 25th, or the Friday before when it falls on a weekend. */
    static LocalDate payday(YearMonth month) {
        LocalDate d = month.atDay(25);
        return switch (d.getDayOfWeek()) {
            case SATURDAY -> d.minusDays(1);
            case SUNDAY -> d.minusDays(2);
            default -> d;
        };
    }

    private static long vary(Random r, long base) {
        return base * between(r, 85, 115) / 100;
    }

    static long between(Random r, long min, long max) {
        return r.nextLong(min, max + 1);
    }

    private static <T> T pick(Random r, T[] options) {
        return options[r.nextInt(options.length)];
    }
}
