package io.commercechat.sandbox.bank.grpc;

import io.commercechat.proto.accounts.v1.Balance;
import io.commercechat.proto.accounts.v1.BalanceType;
import io.commercechat.proto.accounts.v1.Transaction;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.partner.v1.BankAccount;
import io.commercechat.proto.partner.v1.BankConnector;
import io.commercechat.proto.partner.v1.BankGetBalancesRequest;
import io.commercechat.proto.partner.v1.BankGetBalancesResponse;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.BankListAccountsResponse;
import io.commercechat.proto.partner.v1.BankListTransactionsRequest;
import io.commercechat.proto.partner.v1.BankListTransactionsResponse;
import io.commercechat.proto.partner.v1.BeginAuthorisationRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.commercechat.proto.partner.v1.RevokeAccessResponse;
import io.commercechat.sandbox.bank.authorisation.AuthorisationDesk;
import io.commercechat.sandbox.bank.authorisation.PendingAuthorisation;
import io.commercechat.sandbox.bank.ledger.Ledger;
import io.commercechat.sandbox.bank.ledger.LedgerAccount;
import io.commercechat.sandbox.bank.ledger.LedgerTransaction;
import io.commercechat.sandbox.bank.link.BankLink;
import io.commercechat.sandbox.bank.link.BankLinks;
import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.sandbox.faults.ExchangeAnswerDefects;
import io.commercechat.sandbox.faults.FaultInjector;
import io.commercechat.sandbox.faults.FaultInjector.Rpc;
import io.commercechat.sandbox.grpc.GrpcErrors;
import io.commercechat.sandbox.grpc.PageTokens;
import io.commercechat.sandbox.grpc.Validate;
import io.commercechat.sandbox.money.Moneys;
import io.commercechat.sandbox.security.RegisteredClient;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.ProtoTime;
import io.commercechat.support.Rejections;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.Set;

/**
 * The sandbox bank's BankConnector: its registered clients only (a token for the bank's audience), then the fault knobs,
 * then the in-memory bank. Bank data RPCs act on the link behind the access token and only on
 * the accounts the person selected.
 *
 * <p>Invalid tokens are refused by proactive HTTP authentication (UNAUTHENTICATED). There is no
 * class-level {@code @Authenticated}: with quarkus-rest on the same server, Quarkus maps an
 * anonymous call to it as PERMISSION_DENIED without a description; {@link RegisteredClient} answers
 * UNAUTHENTICATED for a missing token and PERMISSION_DENIED for a client the bank did not register
 * instead, before any other work, in every RPC.
 */
@GrpcService
public class BankConnectorGrpcService implements BankConnector {

    private final AuthorisationDesk desk;
    private final BankLinks links;
    private final Ledger ledger;
    private final FaultInjector faults;
    private final ExchangeAnswerDefects exchangeDefects;
    private final SecurityIdentity identity;
    private final Set<String> clients;

    public BankConnectorGrpcService(AuthorisationDesk desk, BankLinks links, Ledger ledger, FaultInjector faults,
            ExchangeAnswerDefects exchangeDefects, SecurityIdentity identity, SandboxConfig config) {
        this.desk = desk;
        this.links = links;
        this.ledger = ledger;
        this.faults = faults;
        this.exchangeDefects = exchangeDefects;
        this.identity = identity;
        this.clients = config.clients();
    }

    @Override
    public Uni<BeginAuthorisationResponse> beginAuthorisation(BeginAuthorisationRequest req) {
        return call(Rpc.BEGIN_AUTHORISATION, () -> {
            Instant expiresAt = ProtoTime.from(req.getExpiresAt(), "expires_at");
            if (expiresAt == null) {
                throw Rejections.invalid("expires_at is required");
            }
            PendingAuthorisation p = desk.begin(GrpcValidation.required(req.getState(), "state", 512),
                    Validate.redirectUri(req.getRedirectUri()),
                    GrpcValidation.knownSet(req.getPermissionsList(), "permissions"),
                    GrpcValidation.knownSet(req.getPurposesList(), "purposes"), expiresAt,
                    GrpcValidation.required(req.getRequesterDisplayName(), "requester_display_name", 100),
                    GrpcValidation.optional(req.getConsentReference(), "consent_reference", 128),
                    Validate.codeChallenge(req.getCodeChallenge()));
            return BeginAuthorisationResponse.newBuilder().setAuthorisationId(p.id())
                    .setAuthorisationUrl(desk.authorisationUrl(p)).build();
        });
    }

    @Override
    public Uni<ExchangeCodeResponse> exchangeCode(ExchangeCodeRequest req) {
        return call(Rpc.EXCHANGE_CODE, () -> {
            GrpcValidation.required(req.getCode(), "code", 200);
            GrpcValidation.required(req.getRedirectUri(), "redirect_uri", 2000);
            BankLinks.Grant grant = desk.exchange(req.getCode(), req.getRedirectUri(), Validate.codeVerifier(req.getCodeVerifier()));
            ExchangeCodeResponse.Builder out = ExchangeCodeResponse.newBuilder().setAccessToken(grant.accessToken())
                    .setAccessTokenExpiresAt(ProtoTime.of(grant.link().expiresAt())).setBankLinkId(grant.link().id());
            if (!exchangeDefects.takeOmitAccountIds()) {  // the test hook's contract breach: no selected account named
                out.addAllAccountIds(grant.link().accountIds());
            }
            return out.build();
        });
    }

    @Override
    public Uni<BankListAccountsResponse> listAccounts(BankListAccountsRequest req) {
        return call(Rpc.LIST_ACCOUNTS, () -> {
            int size = GrpcValidation.pageSize(req.getPageSize());
            BankLink link = links.active(req.getAccessToken());
            boolean details = link.permits(Permission.PERMISSION_ACCOUNTS_DETAIL);
            if (!details) {
                permitted(link, Permission.PERMISSION_ACCOUNTS_BASIC);  // the details include the basic ones
            }
            List<String> ids = link.accountIds();
            String after = PageTokens.decode(req.getPageToken(), "accounts|" + link.id());
            int start = 0;
            if (after != null) {
                start = ids.indexOf(after) + 1;
                if (start == 0) {
                    throw Rejections.invalid("page_token is not a token from a previous response to the same request");
                }
            }
            int end = Math.min(ids.size(), start + size);
            BankListAccountsResponse.Builder out = BankListAccountsResponse.newBuilder();
            for (String id : ids.subList(start, end)) {
                out.addAccounts(toProto(ledger.account(id).orElseThrow(), details));
            }
            if (end < ids.size()) {
                out.setNextPageToken(PageTokens.encode("accounts|" + link.id(), ids.get(end - 1)));
            }
            return out.build();
        });
    }

    @Override
    public Uni<BankGetBalancesResponse> getBalances(BankGetBalancesRequest req) {
        return call(Rpc.GET_BALANCES, () -> {
            LedgerAccount account = sharedAccount(permitted(links.active(req.getAccessToken()), Permission.PERMISSION_BALANCES),
                    req.getAccountId());
            Ledger.Balances b = ledger.balancesOf(account);
            BankGetBalancesResponse.Builder out = BankGetBalancesResponse.newBuilder()
                    .addBalances(balance(BalanceType.BALANCE_TYPE_BOOKED, account, b.bookedMinor(), b.asOf()))
                    .addBalances(balance(BalanceType.BALANCE_TYPE_AVAILABLE, account, b.availableMinor(), b.asOf()));
            if (b.creditLimitMinor() != null) {
                out.addBalances(balance(BalanceType.BALANCE_TYPE_CREDIT_LIMIT, account, b.creditLimitMinor(), b.asOf()));
            }
            return out.build();
        });
    }

    @Override
    public Uni<BankListTransactionsResponse> listTransactions(BankListTransactionsRequest req) {
        return call(Rpc.LIST_TRANSACTIONS, () -> {
            int size = GrpcValidation.pageSize(req.getPageSize());
            Instant from = ProtoTime.from(req.getFrom(), "from");
            Instant to = ProtoTime.from(req.getTo(), "to");
            if (from != null && to != null && from.isAfter(to)) {
                throw Rejections.invalid("from must not be after to");
            }
            LedgerAccount account = sharedAccount(permitted(links.active(req.getAccessToken()), Permission.PERMISSION_TRANSACTIONS),
                    req.getAccountId());
            String query = "tx|" + account.id() + "|" + from + "|" + to;
            String after = PageTokens.decode(req.getPageToken(), query);
            List<LedgerTransaction> page = new ArrayList<>(size + 1);
            for (LedgerTransaction t : ledger.transactionsOf(account)) {
                if ((after != null && t.cursorKey().compareTo(after) >= 0)
                        || (to != null && t.bookedAt().isAfter(to))) {
                    continue;
                }
                if (from != null && t.bookedAt().isBefore(from)) {
                    break; // newest first: everything further is older still
                }
                page.add(t);
                if (page.size() > size) {
                    break;
                }
            }
            BankListTransactionsResponse.Builder out = BankListTransactionsResponse.newBuilder();
            page.stream().limit(size).forEach(t -> out.addTransactions(toProto(t)));
            if (page.size() > size) {
                out.setNextPageToken(PageTokens.encode(query, page.get(size - 1).cursorKey()));
            }
            return out.build();
        });
    }

    @Override
    public Uni<RevokeAccessResponse> revokeAccess(RevokeAccessRequest req) {
        return call(Rpc.REVOKE_ACCESS, () -> {
            String reason = GrpcValidation.optional(req.getReason(), "reason", 200);
            return RevokeAccessResponse.newBuilder().setRevoked(links.revokeByToken(req.getAccessToken(), reason)).build();
        });
    }

    /** Resolves the caller first (before any fault or work), then runs the action under the fault knobs. */
    private <R> Uni<R> call(Rpc rpc, Supplier<R> action) {
        return Uni.createFrom().deferred(() -> {
            RegisteredClient.require(identity, clients);
            return faults.around(rpc, action);
        }).onFailure().transform(GrpcErrors::toStatus);
    }

    /**
     * The link, if the customer granted {@code permission} with it; PERMISSION_DENIED otherwise, as a bank answers a
     * provider that reads more than the customer agreed to (the platform checks its consent first, so a refusal here is
     * the bank holding the line behind it).
     */
    private static BankLink permitted(BankLink link, Permission permission) {
        if (!link.permits(permission)) {
            throw Rejections.denied("the customer did not grant " + permission.name().substring("PERMISSION_".length())
                    + " with this access");
        }
        return link;
    }

    /** An account of the link; any other account (even one of the same customer) is NOT_FOUND. */
    private LedgerAccount sharedAccount(BankLink link, String accountId) {
        GrpcValidation.required(accountId, "account_id", 64);
        if (!link.accountIds().contains(accountId)) {
            throw Rejections.notFound("account " + accountId + " is not shared with this link");
        }
        return ledger.account(accountId).orElseThrow(() -> Rejections.notFound("account " + accountId + " not found"));
    }

    /** The account number only with ACCOUNTS_DETAIL: without it a provider gets the basic details alone. */
    private static BankAccount toProto(LedgerAccount a, boolean details) {
        return BankAccount.newBuilder().setAccountId(a.id()).setDisplayName(a.displayName()).setType(a.type())
                .setCurrency(a.currency()).setAccountNumber(details ? a.accountNumber() : "").build();
    }

    private static Balance balance(BalanceType type, LedgerAccount a, long minor, Instant asOf) {
        return Balance.newBuilder().setType(type).setAmount(Moneys.ofMinor(a.currency(), minor))
                .setAsOf(ProtoTime.of(asOf)).build();
    }

    private static Transaction toProto(LedgerTransaction t) {
        return Transaction.newBuilder().setId(t.id()).setBookedAt(ProtoTime.of(t.bookedAt()))
                .setAmount(Moneys.ofMinor(t.currency(), t.amountMinor())).setDescription(t.description())
                .setMerchantName(t.merchantName()).setCategory(t.category()).setStatus(t.status()).build();
    }
}
