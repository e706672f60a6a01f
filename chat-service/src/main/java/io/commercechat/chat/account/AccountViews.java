package io.commercechat.chat.account;

import static io.commercechat.chat.rest.ProtoEnums.name;

import io.commercechat.chat.rest.RestParams;
import io.commercechat.proto.accounts.v1.Balance;
import io.commercechat.proto.accounts.v1.Bank;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.GetBalancesResponse;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkedAccount;
import io.commercechat.proto.accounts.v1.ListAccountsResponse;
import io.commercechat.proto.accounts.v1.ListBanksResponse;
import io.commercechat.proto.accounts.v1.ListLinksResponse;
import io.commercechat.proto.accounts.v1.ListTransactionsResponse;
import io.commercechat.proto.accounts.v1.Transaction;
import io.commercechat.proto.common.v1.Money;
import io.commercechat.chat.client.PeerTimes;
import java.time.Instant;
import java.util.List;

/**
 * Banks, links and bank data as the REST API shows them: the contract's fields in camelCase, enums
 * by short name, money as {currency, units, nanos} (units a string, as the protobuf JSON mapping
 * has it), times as ISO-8601. Bank data is passed through and never stored.
 */
public final class AccountViews {

    private AccountViews() {}

    public record BankView(String id, String displayName) {}

    public record BankList(List<BankView> banks, String nextCursor) {}

    public record AccountView(String id, String linkId, String bankId, String displayName, String type, String currency,
            String maskedNumber) {}

    public record AccountList(List<AccountView> accounts, String nextCursor) {}

    public record LinkView(String id, String bankId, String bankDisplayName, String consentId, String status,
            String statusReason, List<String> permissions, List<String> purposes, Instant createdAt, Instant updatedAt,
            Instant expiresAt, List<AccountView> accounts) {}

    public record LinkList(List<LinkView> links, String nextCursor) {}

    public record LinkStarted(LinkView link, String authorisationUrl, String state) {}

    public record LinkCompleted(LinkView link) {}

    public record MoneyView(String currency, String units, int nanos) {}

    public record BalanceView(String type, MoneyView amount, Instant asOf) {}

    public record Balances(AccountView account, List<BalanceView> balances) {}

    public record TransactionView(String id, Instant bookedAt, MoneyView amount, String description, String merchantName,
            String category, String status) {}

    public record TransactionPage(List<TransactionView> transactions, String nextCursor) {}

    public static BankList banks(ListBanksResponse r) {
        return new BankList(r.getBanksList().stream().map(AccountViews::bank).toList(), RestParams.nextCursor(r.getNextPageToken()));
    }

    static BankView bank(Bank b) {
        return new BankView(b.getId(), b.getDisplayName());
    }

    public static AccountView account(LinkedAccount a) {
        return new AccountView(a.getId(), a.getLinkId(), a.getBankId(), a.getDisplayName(), name(a.getType(), "ACCOUNT_TYPE_"),
                a.getCurrency(), a.getMaskedNumber());
    }

    public static AccountList accounts(ListAccountsResponse r) {
        return new AccountList(r.getAccountsList().stream().map(AccountViews::account).toList(),
                RestParams.nextCursor(r.getNextPageToken()));
    }

    public static LinkView link(Link l) {
        return new LinkView(l.getId(), l.getBankId(), l.getBankDisplayName(), l.getConsentId(), name(l.getStatus(), "LINK_STATUS_"),
                l.getStatusReason().isEmpty() ? null : l.getStatusReason(),
                l.getPermissionsList().stream().map(p -> name(p, "PERMISSION_")).toList(),
                l.getPurposesList().stream().map(p -> name(p, "PURPOSE_")).toList(),
                PeerTimes.from(l.getCreatedAt(), "created_at"), PeerTimes.from(l.getUpdatedAt(), "updated_at"),
                PeerTimes.from(l.getExpiresAt(), "expires_at"), l.getAccountsList().stream().map(AccountViews::account).toList());
    }

    public static LinkList links(ListLinksResponse r) {
        return new LinkList(r.getLinksList().stream().map(AccountViews::link).toList(), RestParams.nextCursor(r.getNextPageToken()));
    }

    public static LinkStarted started(BeginLinkResponse r) {
        return new LinkStarted(link(r.getLink()), r.getAuthorisationUrl(), r.getState());
    }

    public static MoneyView money(Money m) {
        return new MoneyView(m.getCurrency(), Long.toString(m.getUnits()), m.getNanos());
    }

    public static Balances balances(GetBalancesResponse r) {
        return new Balances(account(r.getAccount()), r.getBalancesList().stream().map(AccountViews::balance).toList());
    }

    static BalanceView balance(Balance b) {
        return new BalanceView(name(b.getType(), "BALANCE_TYPE_"), money(b.getAmount()), PeerTimes.from(b.getAsOf(), "as_of"));
    }

    public static TransactionPage transactions(ListTransactionsResponse r) {
        return new TransactionPage(r.getTransactionsList().stream().map(AccountViews::transaction).toList(),
                RestParams.nextCursor(r.getNextPageToken()));
    }

    static TransactionView transaction(Transaction t) {
        return new TransactionView(t.getId(), PeerTimes.from(t.getBookedAt(), "booked_at"), money(t.getAmount()),
                t.getDescription(), t.getMerchantName().isEmpty() ? null : t.getMerchantName(),
                t.getCategory().isEmpty() ? null : t.getCategory(), name(t.getStatus(), "TRANSACTION_STATUS_"));
    }
}
