package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.proto.accounts.v1.AccountType;
import io.commercechat.proto.accounts.v1.Balance;
import io.commercechat.proto.accounts.v1.BalanceType;
import io.commercechat.proto.accounts.v1.Transaction;
import io.commercechat.proto.common.v1.Money;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.partner.v1.BankAccount;
import io.commercechat.proto.partner.v1.BankGetBalancesRequest;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.BankListAccountsResponse;
import io.commercechat.proto.partner.v1.BankListTransactionsRequest;
import io.commercechat.proto.partner.v1.BankListTransactionsResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class BankDataTest extends SandboxTestSupport {

    private static final List<String> ADA = List.of("ada-current", "ada-savings", "ada-card", "ada-travel");

    @Test
    void accountsAreTheSelectedOnesWithFullNumbersAndSeveralCurrencies() {
        ExchangeCodeResponse link = link("cust-ada", ADA);
        List<BankAccount> accounts = bank().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).build()).getAccountsList();
        assertEquals(ADA, accounts.stream().map(BankAccount::getAccountId).toList());
        assertEquals(Set.of(AccountType.ACCOUNT_TYPE_CURRENT, AccountType.ACCOUNT_TYPE_SAVINGS, AccountType.ACCOUNT_TYPE_CREDIT_CARD),
                Set.copyOf(accounts.stream().map(BankAccount::getType).toList()));
        assertEquals(Set.of("GBP", "EUR"), Set.copyOf(accounts.stream().map(BankAccount::getCurrency).toList()));
        BankAccount current = accounts.get(0);
        assertTrue(current.getAccountNumber().matches("GB\\d{2}SBOX\\d{14}"), "IBAN-like: " + current.getAccountNumber().length());
        assertTrue(accounts.get(2).getAccountNumber().matches("4000\\d{12}"), "PAN-like");

        // paging by cursor, one at a time
        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            BankListAccountsResponse page = bank().listAccounts(BankListAccountsRequest.newBuilder()
                    .setAccessToken(link.getAccessToken()).setPageSize(1).setPageToken(token).build());
            page.getAccountsList().forEach(a -> seen.add(a.getAccountId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertEquals(ADA, seen);

        // the same customer gets the same accounts on every link
        ExchangeCodeResponse again = link("cust-ada", List.of("ada-current"));
        assertEquals(current, bank().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(again.getAccessToken()).build()).getAccounts(0));
    }

    /** The bank holds the line behind the platform's consent check: it serves only what the customer granted. */
    @Test
    void whatTheCustomerDidNotGrantIsRefused() {
        ExchangeCodeResponse basic = link("cust-ada", ADA, Permission.PERMISSION_ACCOUNTS_BASIC);
        List<BankAccount> accounts = bank().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(basic.getAccessToken()).build()).getAccountsList();
        assertEquals(ADA, accounts.stream().map(BankAccount::getAccountId).toList());
        assertTrue(accounts.stream().allMatch(a -> a.getAccountNumber().isEmpty() && !a.getDisplayName().isEmpty()),
                "no account number without ACCOUNTS_DETAIL");
        var noBalances = assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().getBalances(BankGetBalancesRequest.newBuilder()
                .setAccessToken(basic.getAccessToken()).setAccountId("ada-current").build()));
        assertEquals("the customer did not grant BALANCES with this access", noBalances.getStatus().getDescription());
        var noTransactions = assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listTransactions(
                BankListTransactionsRequest.newBuilder().setAccessToken(basic.getAccessToken()).setAccountId("ada-current").build()));
        assertEquals("the customer did not grant TRANSACTIONS with this access", noTransactions.getStatus().getDescription());

        ExchangeCodeResponse balancesOnly = link("cust-ada", ADA, Permission.PERMISSION_BALANCES);
        assertFalse(bank().getBalances(BankGetBalancesRequest.newBuilder().setAccessToken(balancesOnly.getAccessToken())
                .setAccountId("ada-current").build()).getBalancesList().isEmpty());
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(balancesOnly.getAccessToken()).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listTransactions(BankListTransactionsRequest.newBuilder()
                .setAccessToken(balancesOnly.getAccessToken()).setAccountId("ada-current").build()));

        // the account details include the basic ones
        ExchangeCodeResponse details = link("cust-ada", ADA, Permission.PERMISSION_ACCOUNTS_DETAIL);
        assertTrue(bank().listAccounts(BankListAccountsRequest.newBuilder().setAccessToken(details.getAccessToken()).build())
                .getAccountsList().stream().noneMatch(a -> a.getAccountNumber().isEmpty()));
    }

    @Test
    void balancesAreMoneyAndCardsHaveACreditLimit() {
        ExchangeCodeResponse link = link("cust-grace", List.of("grace-current", "grace-card"));
        List<Balance> current = balances(link, "grace-current");
        assertEquals(List.of(BalanceType.BALANCE_TYPE_BOOKED, BalanceType.BALANCE_TYPE_AVAILABLE),
                current.stream().map(Balance::getType).toList());
        for (Balance b : current) {
            assertEquals("EUR", b.getAmount().getCurrency());
            assertSameSign(b.getAmount());
            assertEquals(0, b.getAmount().getNanos() % 10_000_000, "whole cents");
        }
        List<Balance> card = balances(link, "grace-card");
        assertEquals(BalanceType.BALANCE_TYPE_CREDIT_LIMIT, card.get(2).getType());
        assertTrue(card.get(2).getAmount().getUnits() > 0);
        assertEquals(current, balances(link, "grace-current"), "deterministic");
    }

    @Test
    void accountsOutsideTheLinkAreNotFound() {
        ExchangeCodeResponse link = link("cust-alan", List.of("alan-current"));
        assertStatus(Status.Code.NOT_FOUND, () -> bank().getBalances(BankGetBalancesRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).setAccountId("alan-savings").build()));
        assertStatus(Status.Code.NOT_FOUND, () -> bank().listTransactions(BankListTransactionsRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).setAccountId("ada-current").build()));
    }

    @Test
    void transactionsPageThroughADateWindowWithoutGapsOrRepeatsAndAreDeterministic() {
        ExchangeCodeResponse link = link("cust-katherine", List.of("katherine-current"));
        Instant today = LocalDate.now(ZoneOffset.UTC).atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant from = today.minus(Duration.ofDays(60));
        Instant to = today.minus(Duration.ofDays(10));

        List<Transaction> paged = pageAll(link, from, to, 7);
        List<Transaction> oneGo = pageAll(link, from, to, 100);
        assertEquals(oneGo, paged, "same transactions whatever the page size: no gaps, no repeats");
        assertEquals(paged, pageAll(link, from, to, 7), "two calls give identical data");
        assertTrue(paged.size() > 40, "about two months of realistic spending: " + paged.size());
        assertEquals(paged.size(), new HashSet<>(paged.stream().map(Transaction::getId).toList()).size());

        Set<String> categories = new HashSet<>();
        for (int i = 0; i < paged.size(); i++) {
            Transaction t = paged.get(i);
            assertTrue(!toInstant(t.getBookedAt()).isBefore(from) && !toInstant(t.getBookedAt()).isAfter(to), "inside the window");
            if (i > 0) {
                assertTrue(toInstant(paged.get(i - 1).getBookedAt()).compareTo(toInstant(t.getBookedAt())) >= 0, "newest first");
            }
            assertEquals("EUR", t.getAmount().getCurrency());
            assertSameSign(t.getAmount());
            assertFalse(t.getDescription().isEmpty());
            categories.add(t.getCategory());
        }
        assertTrue(categories.containsAll(Set.of("salary", "housing", "groceries", "transport")), categories.toString());
        assertTrue(paged.stream().anyMatch(t -> t.getAmount().getUnits() > 0), "money in");
        assertTrue(paged.stream().anyMatch(t -> t.getAmount().getUnits() < 0 || t.getAmount().getNanos() < 0), "money out");

        // a year of history
        List<Transaction> year = pageAll(link, null, null, 100);
        Instant oldest = toInstant(year.get(year.size() - 1).getBookedAt());
        assertTrue(oldest.isBefore(today.minus(Duration.ofDays(350))), "a year of transactions: " + oldest);
    }

    @Test
    void listTransactionsRejectsBadPagingAndWindows() {
        ExchangeCodeResponse link = link("cust-ada", List.of("ada-current", "ada-savings"));
        BankListTransactionsRequest.Builder base = BankListTransactionsRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).setAccountId("ada-current");
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().listTransactions(base.clone().setPageSize(101).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().listTransactions(base.clone().setPageSize(-1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().listTransactions(base.clone().setPageToken("garbage!").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().listTransactions(base.clone()
                .setFrom(ts(Instant.now())).setTo(ts(Instant.now().minusSeconds(3600))).build()));
        assertEquals(20, bank().listTransactions(base.build()).getTransactionsCount(), "0 means 20");
        // a cursor of one account cannot be used for another
        String token = bank().listTransactions(base.build()).getNextPageToken();
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().listTransactions(base.clone().setAccountId("ada-savings")
                .setPageToken(token).build()));
    }

    @Test
    void revokeAccessEndsReadsAndIsIdempotent() {
        ExchangeCodeResponse link = link("cust-alan", List.of("alan-current", "alan-card"));
        assertEquals(2, bank().listAccounts(BankListAccountsRequest.newBuilder().setAccessToken(link.getAccessToken()).build())
                .getAccountsCount());
        assertTrue(bank().revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken(link.getAccessToken())
                .setReason("person unlinked").build()).getRevoked());
        assertFalse(bank().revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken(link.getAccessToken()).build())
                .getRevoked(), "already revoked: still a success");
        var denied = assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(
                BankListAccountsRequest.newBuilder().setAccessToken(link.getAccessToken()).build()));
        assertEquals("bank token revoked or unknown", denied.getStatus().getDescription());
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().getBalances(BankGetBalancesRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).setAccountId("alan-current").build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listTransactions(BankListTransactionsRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).setAccountId("alan-current").build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(
                BankListAccountsRequest.newBuilder().setAccessToken("sbt_unknown").build()));
    }

    /** A caller that lost its token by a bug of its own is told so, not that the token is revoked (or gone, if revoking). */
    @Test
    void everyCallThatTakesAnAccessTokenRequiresOne() {
        Map<String, Runnable> calls = Map.of(
                "ListAccounts", () -> bank().listAccounts(BankListAccountsRequest.newBuilder().setAccessToken("").build()),
                "GetBalances", () -> bank().getBalances(BankGetBalancesRequest.newBuilder().setAccessToken("")
                        .setAccountId("ada-current").build()),
                "ListTransactions", () -> bank().listTransactions(BankListTransactionsRequest.newBuilder().setAccessToken("")
                        .setAccountId("ada-current").build()),
                "RevokeAccess", () -> bank().revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken("")
                        .setReason("person unlinked").build()));
        calls.forEach((rpc, call) -> assertEquals("access_token is required",
                assertStatus(Status.Code.INVALID_ARGUMENT, call).getStatus().getDescription(), rpc));
    }

    private List<Balance> balances(ExchangeCodeResponse link, String account) {
        return bank().getBalances(BankGetBalancesRequest.newBuilder().setAccessToken(link.getAccessToken())
                .setAccountId(account).build()).getBalancesList();
    }

    private List<Transaction> pageAll(ExchangeCodeResponse link, Instant from, Instant to, int size) {
        List<Transaction> all = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            BankListTransactionsRequest.Builder req = BankListTransactionsRequest.newBuilder()
                    .setAccessToken(link.getAccessToken()).setAccountId(link.getAccountIds(0))
                    .setPageSize(size).setPageToken(token);
            if (from != null) {
                req.setFrom(ts(from));
            }
            if (to != null) {
                req.setTo(ts(to));
            }
            BankListTransactionsResponse page = bank().listTransactions(req.build());
            assertTrue(page.getTransactionsCount() <= size);
            all.addAll(page.getTransactionsList());
            token = page.getNextPageToken();
            assertTrue(++pages < 1000, "paging terminates");
        } while (!token.isEmpty());
        return all;
    }

    private static void assertSameSign(Money m) {
        assertTrue(m.getUnits() == 0 || m.getNanos() == 0 || Long.signum(m.getUnits()) == Integer.signum(m.getNanos()),
                "units and nanos carry the same sign: " + m);
    }

    private static Timestamp ts(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    private static Instant toInstant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
