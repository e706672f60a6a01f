package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.grpc.GrpcErrors;
import io.commercechat.accounts.grpc.PageTokens;
import io.commercechat.support.ProtoTime;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.LinkMapper;
import io.commercechat.accounts.link.LinkedAccount;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.security.Caller;
import io.commercechat.accounts.token.repository.BankTokenRepository;
import io.commercechat.accounts.token.service.TokenCipher;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.GetBalancesResponse;
import io.commercechat.proto.accounts.v1.ListAccountsRequest;
import io.commercechat.proto.accounts.v1.ListAccountsResponse;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.accounts.v1.ListTransactionsResponse;
import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.CheckAccessResponse;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.BankGetBalancesRequest;
import io.commercechat.proto.partner.v1.BankGetBalancesResponse;
import io.commercechat.proto.partner.v1.BankListTransactionsRequest;
import io.commercechat.proto.partner.v1.BankListTransactionsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Every read of bank data: the person's own account only, a consent check first (deny and
 * failure both stop the read), then the bank with the decrypted token. Bank data is passed
 * through, never stored or logged.
 */
@ApplicationScoped
public class BankDataReader {

    private static final Duration DEFAULT_WINDOW = Duration.ofDays(90);
    private static final int MAX_PAGE_TOKEN = 512;

    private final LinkFlow flow;
    private final LinkRepository links;
    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final BankRegistry banks;
    private final ConsentClient consents;

    public BankDataReader(LinkFlow flow, LinkRepository links, BankTokenRepository tokens, TokenCipher cipher,
            BankRegistry banks, ConsentClient consents) {
        this.flow = flow;
        this.links = links;
        this.tokens = tokens;
        this.cipher = cipher;
        this.banks = banks;
        this.consents = consents;
    }

    /**
     * Accounts of the person's active links (linked-account metadata, masked numbers). With a
     * link id, a denial is PERMISSION_DENIED; across all links, links without consent are left
     * out, and when every link is denied the first reason is returned.
     */
    public ListAccountsResponse listAccounts(Caller caller, ListAccountsRequest req) {
        Purpose purpose = Validate.known(req.getPurpose(), "purpose");
        int size = PageTokens.size(req.getPageSize());
        long offset = PageTokens.decode(req.getPageToken(), 0);
        List<Link> candidates = req.getLinkId().isEmpty() ? links.active(caller.subject()) : List.of(flow.own(caller, req.getLinkId()));
        List<Link> allowed = new ArrayList<>();
        StatusRuntimeException firstDenial = null;
        for (Link link : candidates) {
            try {
                check(caller, link, "", Permission.PERMISSION_ACCOUNTS_BASIC, purpose);
                allowed.add(link);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.PERMISSION_DENIED || !req.getLinkId().isEmpty()) {
                    throw e;
                }
                firstDenial = firstDenial == null ? e : firstDenial;
            }
        }
        if (allowed.isEmpty() && firstDenial != null) {
            throw firstDenial;
        }
        Map<UUID, List<LinkedAccount>> byLink = links.accountsOf(allowed.stream().map(Link::id).toList());
        List<io.commercechat.proto.accounts.v1.LinkedAccount> all = new ArrayList<>();
        for (Link link : allowed) {
            byLink.getOrDefault(link.id(), List.of()).forEach(a -> all.add(LinkMapper.toProto(a, link.bankId())));
        }
        var b = ListAccountsResponse.newBuilder();
        int from = (int) Math.min(Math.max(offset, 0), all.size());
        int to = Math.min(from + size, all.size());
        b.addAllAccounts(all.subList(from, to));
        if (to < all.size()) {
            b.setNextPageToken(PageTokens.encode(to));
        }
        return b.build();
    }

    public GetBalancesResponse getBalances(Caller caller, GetBalancesRequest req) {
        Purpose purpose = Validate.known(req.getPurpose(), "purpose");
        Owned owned = ownAccount(caller, req.getAccountId());
        check(caller, owned.link, owned.account.bankAccountId(), Permission.PERMISSION_BALANCES, purpose);
        String token = token(owned.link);
        BankGetBalancesResponse r = bankAnswer(() -> banks.bank(owned.link.bankId()).getBalances(BankGetBalancesRequest.newBuilder()
                .setAccessToken(token).setAccountId(owned.account.bankAccountId()).build()));
        return GetBalancesResponse.newBuilder().setAccount(LinkMapper.toProto(owned.account, owned.link.bankId()))
                .addAllBalances(r.getBalancesList()).build();
    }

    public ListTransactionsResponse listTransactions(Caller caller, ListTransactionsRequest req) {
        Purpose purpose = Validate.known(req.getPurpose(), "purpose");
        int size = PageTokens.size(req.getPageSize());
        Instant from;
        Instant to;
        String bankPageToken;
        if (req.getPageToken().isEmpty()) {
            Instant requestedTo = ProtoTime.from(req.getTo(), "to");
            Instant requestedFrom = ProtoTime.from(req.getFrom(), "from");
            to = requestedTo == null ? Instant.now() : requestedTo;
            from = requestedFrom == null ? to.minus(DEFAULT_WINDOW) : requestedFrom;
            bankPageToken = "";
        } else {
            // the window is fixed by the first page, so "now" does not move under a cursor
            TransactionCursor cursor = TransactionCursor.decode(req.getPageToken());
            from = cursor.from();
            to = cursor.to();
            bankPageToken = cursor.bankPageToken();
        }
        if (from.isAfter(to)) {
            throw GrpcErrors.invalid("from must not be after to");
        }
        Owned owned = ownAccount(caller, req.getAccountId());
        check(caller, owned.link, owned.account.bankAccountId(), Permission.PERMISSION_TRANSACTIONS, purpose);
        String token = token(owned.link);
        BankListTransactionsResponse r = bankAnswer(() -> banks.bank(owned.link.bankId()).listTransactions(
                BankListTransactionsRequest.newBuilder().setAccessToken(token).setAccountId(owned.account.bankAccountId())
                        .setFrom(ProtoTime.of(from)).setTo(ProtoTime.of(to)).setPageSize(size)
                        .setPageToken(bankPageToken).build()));
        var b = ListTransactionsResponse.newBuilder().addAllTransactions(r.getTransactionsList());
        if (!r.getNextPageToken().isEmpty()) {
            b.setNextPageToken(new TransactionCursor(from, to, r.getNextPageToken()).encode());
        }
        return b.build();
    }

    /** Our cursor over a bank's: the date window of the first page plus the bank's opaque token. */
    record TransactionCursor(Instant from, Instant to, String bankPageToken) {

        String encode() {
            String raw = "t1|" + from + "|" + to + "|" + bankPageToken;
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        static TransactionCursor decode(String token) {
            if (token.length() > MAX_PAGE_TOKEN) {
                throw GrpcErrors.invalid("page_token is not a token from a previous response");
            }
            try {
                String raw = new String(java.util.Base64.getUrlDecoder().decode(token), java.nio.charset.StandardCharsets.UTF_8);
                String[] parts = raw.split("\\|", 4);
                if (parts.length == 4 && parts[0].equals("t1") && !parts[3].isEmpty()) {
                    return new TransactionCursor(Instant.parse(parts[1]), Instant.parse(parts[2]), parts[3]);
                }
            } catch (RuntimeException malformed) {
                // falls through
            }
            throw GrpcErrors.invalid("page_token is not a token from a previous response");
        }
    }

    private record Owned(Link link, LinkedAccount account) {}

    /** The account if it belongs to one of the caller's links; otherwise it does not exist for them. */
    private Owned ownAccount(Caller caller, String accountId) {
        UUID id = Validate.uuid(accountId, "account_id");
        LinkedAccount account = links.findAccount(id).orElseThrow(() -> GrpcErrors.notFound("no account " + id));
        Link link = links.find(account.linkId()).filter(l -> l.userId().equals(caller.subject()))
                .orElseThrow(() -> GrpcErrors.notFound("no account " + id));
        return new Owned(link, account);
    }

    private void check(Caller caller, Link link, String bankAccountId, Permission permission, Purpose purpose) {
        CheckAccessResponse decision = consents.checkAccess(caller.rawToken(), CheckAccessRequest.newBuilder()
                .setUserId(caller.subject()).setBankId(link.bankId()).setAccountId(bankAccountId).setPermission(permission)
                .setPurpose(purpose).setConsentId(link.consentId().toString()).build());
        if (decision.getDecision() != AccessDecision.ACCESS_DECISION_ALLOW) {
            throw GrpcErrors.denied("access denied: " + decision.getReason());
        }
    }

    private String token(Link link) {
        if (!link.isActive()) {
            throw GrpcErrors.denied("access denied: the link is " + link.status().name().replace("LINK_STATUS_", "").toLowerCase());
        }
        return tokens.usable(link.id()).map(sealed -> cipher.open(link.id(), sealed))
                .orElseThrow(() -> GrpcErrors.denied("access denied: access to this bank has ended"));
    }

    private static <T> T bankAnswer(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
                throw GrpcErrors.denied("the bank no longer accepts this link's access: " + e.getStatus().getDescription());
            }
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                throw GrpcErrors.notFound("the bank does not know this account any more");
            }
            if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
                throw GrpcErrors.invalid("the bank refused the request: " + e.getStatus().getDescription());
            }
            throw e;
        }
    }
}
