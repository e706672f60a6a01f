package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankAnswers;
import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.client.BankClient;
import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.LinkMapper;
import io.commercechat.accounts.link.LinkedAccount;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.link.repository.LinkedAccountRepository;
import io.commercechat.accounts.security.Caller;
import io.commercechat.accounts.token.repository.BankTokenRepository;
import io.commercechat.accounts.token.service.TokenCipher;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.GetBalancesResponse;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.accounts.v1.ListAccountsRequest;
import io.commercechat.proto.accounts.v1.ListAccountsResponse;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.accounts.v1.ListTransactionsResponse;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.BankGetBalancesRequest;
import io.commercechat.proto.partner.v1.BankListTransactionsRequest;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.PageTokens;
import io.commercechat.support.ProtoTime;
import io.commercechat.support.Rejections;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Every read of bank data: the person's own account only, a consent check first (deny and
 * failure both stop the read), then the bank with the decrypted token. Bank data is passed
 * through, never stored or logged.
 */
@ApplicationScoped
public class BankDataReader {

    private static final Duration DEFAULT_WINDOW = Duration.ofDays(90);
    /**
     * Our transaction cursors' length: what chat-service passes through as a REST cursor (RestParams.peerCursor). A
     * cursor this service hands out must be accepted back, by it and by chat-service, so encoding checks it too.
     */
    static final int MAX_PAGE_TOKEN = 1024;

    private final LinkFlow flow;
    private final LinkRepository links;
    private final LinkedAccountRepository accounts;
    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final BankRegistry banks;
    private final ConsentClient consents;
    private final Duration maxHistory;

    public BankDataReader(LinkFlow flow, LinkRepository links, LinkedAccountRepository accounts, BankTokenRepository tokens,
            TokenCipher cipher, BankRegistry banks, ConsentClient consents, AccountsConfig config) {
        this.flow = flow;
        this.links = links;
        this.accounts = accounts;
        this.tokens = tokens;
        this.cipher = cipher;
        this.banks = banks;
        this.consents = consents;
        this.maxHistory = config.transactionsMaxHistory();
    }

    private record Checked(Link allowed, StatusRuntimeException denial) {}

    /**
     * Accounts of the person's active links (linked-account metadata; masked numbers only of links whose consent covers
     * account details, and that read is checked and logged as ACCOUNTS_DETAIL, the others as ACCOUNTS_BASIC). With a
     * link id, a denial is PERMISSION_DENIED; across all links, links without consent are left
     * out, and when every link is denied the first reason is returned.
     */
    public Uni<ListAccountsResponse> listAccounts(Caller caller, ListAccountsRequest req) {
        Purpose purpose = GrpcValidation.known(req.getPurpose(), "purpose");
        int size = GrpcValidation.pageSize(req.getPageSize());
        long offset = PageTokens.decode(req.getPageToken(), 0);
        boolean oneLink = !req.getLinkId().isEmpty();
        Uni<List<Link>> candidates = oneLink ? flow.own(caller, req.getLinkId())
                .call(link -> refuseIfEnded(caller, link, "", link.accountListPermission(), purpose)).map(List::of)
                : links.active(caller.subject());
        return candidates.chain(found -> Multi.createFrom().iterable(found)
                .onItem().transformToUniAndConcatenate(link -> check(caller, link, "", link.accountListPermission(), purpose)
                        .map(ignored -> new Checked(link, null))
                        .onFailure(e -> !oneLink && LinkFlow.code(e) == Status.Code.PERMISSION_DENIED)
                        .recoverWithItem(e -> new Checked(null, (StatusRuntimeException) e)))
                .collect().asList())
                .chain(checked -> {
                    List<Link> allowed = checked.stream().filter(c -> c.allowed() != null).map(Checked::allowed).toList();
                    if (allowed.isEmpty()) {
                        StatusRuntimeException firstDenial = checked.stream().map(Checked::denial).filter(d -> d != null)
                                .findFirst().orElse(null);
                        if (firstDenial != null) {
                            return Uni.createFrom().failure(firstDenial);
                        }
                    }
                    return accounts.accountsOf(allowed.stream().map(l -> l.id).toList()).map(byLink -> {
                        List<io.commercechat.proto.accounts.v1.LinkedAccount> all = new ArrayList<>();
                        for (Link link : allowed) {
                            byLink.getOrDefault(link.id, List.of()).forEach(a -> all.add(LinkMapper.toProto(a, link)));
                        }
                        var b = ListAccountsResponse.newBuilder();
                        int from = (int) Math.min(Math.max(offset, 0), all.size());
                        int to = Math.min(from + size, all.size());
                        b.addAllAccounts(all.subList(from, to));
                        if (to < all.size()) {
                            b.setNextPageToken(PageTokens.encode(to));
                        }
                        return b.build();
                    });
                });
    }

    public Uni<GetBalancesResponse> getBalances(Caller caller, GetBalancesRequest req) {
        Purpose purpose = GrpcValidation.known(req.getPurpose(), "purpose");
        return ownAccount(caller, req.getAccountId())
                .call(owned -> refuseIfEnded(caller, owned.link, owned.account.bankAccountId, Permission.PERMISSION_BALANCES, purpose))
                .chain(owned -> check(caller, owned.link, owned.account.bankAccountId, Permission.PERMISSION_BALANCES, purpose)
                .chain(() -> token(owned.link))
                .chain(token -> bankAnswer(banks.bank(owned.link.bankId).getBalances(BankGetBalancesRequest.newBuilder()
                        .setAccessToken(token).setAccountId(owned.account.bankAccountId).build(),
                        // a retry of the read is a read: checked (and recorded) again before it goes to the bank
                        () -> checkAgain(caller, owned.link, owned.account.bankAccountId, Permission.PERMISSION_BALANCES, purpose))))
                .map(r -> GetBalancesResponse.newBuilder().setAccount(LinkMapper.toProto(owned.account, owned.link))
                        .addAllBalances(r.getBalancesList()).build()));
    }

    public Uni<ListTransactionsResponse> listTransactions(Caller caller, ListTransactionsRequest req) {
        Purpose purpose = GrpcValidation.known(req.getPurpose(), "purpose");
        int size = GrpcValidation.pageSize(req.getPageSize());
        TransactionCursor requested;
        if (req.getPageToken().isEmpty()) {
            Instant requestedTo = ProtoTime.from(req.getTo(), "to");
            Instant requestedFrom = ProtoTime.from(req.getFrom(), "from");
            Instant to = requestedTo == null ? Instant.now() : requestedTo;
            requested = new TransactionCursor(requestedFrom == null ? to.minus(DEFAULT_WINDOW) : requestedFrom, to, "");
        } else {
            // the window is fixed by the first page, so "now" does not move under a cursor
            requested = TransactionCursor.decode(req.getPageToken());
        }
        if (requested.from().isAfter(requested.to())) {
            throw Rejections.invalid("from must not be after to");
        }
        return ownAccount(caller, req.getAccountId())
                .call(owned -> refuseIfEnded(caller, owned.link, owned.account.bankAccountId, Permission.PERMISSION_TRANSACTIONS,
                        purpose))
                .chain(owned -> {
                    // clipped on every page: our cursor is not signed, so it is never trusted further than the consent;
                    // before the check, so that a window refused here is not in the person's access log as a read
                    TransactionCursor window = clip(requested, owned.link, Instant.now());
                    return check(caller, owned.link, owned.account.bankAccountId, Permission.PERMISSION_TRANSACTIONS, purpose)
                            .chain(() -> token(owned.link)).chain(token -> bankAnswer(banks.bank(owned.link.bankId).listTransactions(
                                    BankListTransactionsRequest.newBuilder().setAccessToken(token)
                                            .setAccountId(owned.account.bankAccountId).setFrom(ProtoTime.of(window.from()))
                                            .setTo(ProtoTime.of(window.to())).setPageSize(size)
                                            .setPageToken(window.bankPageToken()).build(),
                                    () -> checkAgain(caller, owned.link, owned.account.bankAccountId,
                                            Permission.PERMISSION_TRANSACTIONS, purpose))))
                            .map(r -> {
                                var b = ListTransactionsResponse.newBuilder().addAllTransactions(BankAnswers.transactions(
                                        owned.link.bankId, r.getTransactionsList(), window.from(), window.to(), size));
                                if (!r.getNextPageToken().isEmpty()) {
                                    b.setNextPageToken(new TransactionCursor(window.from(), window.to(), r.getNextPageToken())
                                            .encode(owned.link.bankId));
                                }
                                return b.build();
                            });
                });
    }

    /**
     * The requested window inside what the consent allows: from no earlier than the consent's
     * transaction_from and {@code accounts.transactions-max-history} before now, to no later than
     * the consent's transaction_to. A window entirely outside is INVALID_ARGUMENT, saying what is allowed.
     */
    TransactionCursor clip(TransactionCursor requested, Link link, Instant now) {
        return clip(requested, link, now, maxHistory);
    }

    /**
     * {@link #clip(TransactionCursor, Link, Instant)} with the history limit given. A cursor's later pages keep the
     * limit of the day before: past UTC midnight the limit has moved on a day, and the bank, which binds its page
     * tokens to the exact window, would refuse the next page of a cursor handed out before it.
     */
    static TransactionCursor clip(TransactionCursor requested, Link link, Instant now, Duration maxHistory) {
        Instant earliest = earliestTransaction(now, maxHistory);
        if (!requested.bankPageToken().isEmpty()) {
            earliest = earliest.minus(1, ChronoUnit.DAYS);
        }
        if (link.transactionFrom != null && link.transactionFrom.isAfter(earliest)) {
            earliest = link.transactionFrom;
        }
        Instant latest = link.transactionTo;
        Instant from = requested.from().isBefore(earliest) ? earliest : requested.from();
        Instant to = latest != null && requested.to().isAfter(latest) ? latest : requested.to();
        if (from.isAfter(to)) {
            throw Rejections.invalid("the requested window is outside what the consent allows: transactions from "
                    + earliest.truncatedTo(ChronoUnit.SECONDS) + (latest == null ? "" : " to " + latest.truncatedTo(ChronoUnit.SECONDS))
                    + " only");
        }
        return new TransactionCursor(from, to, requested.bankPageToken());
    }

    /**
     * The start of the UTC day {@code maxHistory} before now. Whole days keep the bound still
     * while a person pages (banks bind their page tokens to the exact window).
     */
    static Instant earliestTransaction(Instant now, Duration maxHistory) {
        return now.minus(maxHistory).truncatedTo(ChronoUnit.DAYS);
    }

    /** Our cursor over a bank's: the date window of the first page plus the bank's opaque token. */
    record TransactionCursor(Instant from, Instant to, String bankPageToken) {

        /** What a protobuf Timestamp holds, the window's bounds as the bank is sent them (0001-01-01 to 9999-12-31). */
        private static final Instant FIRST_TIMESTAMP = Instant.ofEpochSecond(-62_135_596_800L);
        private static final Instant LAST_TIMESTAMP = Instant.ofEpochSecond(253_402_300_799L, 999_999_999);

        /**
         * Our cursor for the bank's next page. A bank token too long for it is the bank's fault (the contract sets no
         * limit): UNAVAILABLE naming the bank, rather than a cursor that the next call would refuse.
         */
        String encode(String bankId) {
            String raw = "t1|" + from + "|" + to + "|" + bankPageToken;
            String token = java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (token.length() > MAX_PAGE_TOKEN) {
                throw Status.UNAVAILABLE.withDescription("bank " + bankId + " answered with a page token too long to page on;"
                        + " ask for a shorter window (from, to)").asRuntimeException();
            }
            return token;
        }

        /**
         * The cursor, or INVALID_ARGUMENT: called before the read is checked, so a forged cursor is neither recorded as a
         * read nor sent on. Its window must be protobuf Timestamps (as every window handed out is), since it goes to the
         * bank as such: a bank refusing, or failing on, one beyond them must not be the person's read (nor count against
         * the bank's breaker).
         */
        static TransactionCursor decode(String token) {
            if (token.length() > MAX_PAGE_TOKEN) {
                throw Rejections.invalid("page_token is not a token from a previous response");
            }
            try {
                String raw = new String(java.util.Base64.getUrlDecoder().decode(token), java.nio.charset.StandardCharsets.UTF_8);
                String[] parts = raw.split("\\|", 4);
                if (parts.length == 4 && parts[0].equals("t1") && !parts[3].isEmpty()) {
                    Instant from = Instant.parse(parts[1]);
                    Instant to = Instant.parse(parts[2]);
                    if (isTimestamp(from) && isTimestamp(to)) {
                        return new TransactionCursor(from, to, parts[3]);
                    }
                }
            } catch (RuntimeException malformed) {
                // falls through
            }
            throw Rejections.invalid("page_token is not a token from a previous response");
        }

        private static boolean isTimestamp(Instant instant) {
            return !instant.isBefore(FIRST_TIMESTAMP) && !instant.isAfter(LAST_TIMESTAMP);
        }
    }

    private record Owned(Link link, LinkedAccount account) {}

    /** The account if it belongs to one of the caller's links; otherwise it does not exist for them. */
    private Uni<Owned> ownAccount(Caller caller, String accountId) {
        UUID id = GrpcValidation.uuid(accountId, "account_id");
        return accounts.find(id).chain(account -> account == null ? Uni.createFrom().nullItem()
                        : links.find(account.linkId).map(link -> link == null ? null : new Owned(link, account)))
                .map(owned -> {
                    if (owned == null || !owned.link.userId.equals(caller.subject())) {
                        throw Rejections.notFound("no account " + id);
                    }
                    return owned;
                });
    }

    /**
     * Nothing is read through a link that has ended (PERMISSION_DENIED, as before): what the bank said about its
     * accounts is erased and its token is gone. When its consent is known to have ended in consent-service, consent-service is asked all the same, so
     * that the refused read is in the person's access log as DENY. While the consent's
     * end is still to be delivered (the person unlinked while consent-service was away) it is refused here alone:
     * consent-service could still answer ALLOW and record a read that is not made.
     */
    private Uni<Void> refuseIfEnded(Caller caller, Link link, String bankAccountId, Permission permission, Purpose purpose) {
        if (!link.hasEnded()) {
            return Uni.createFrom().voidItem();
        }
        boolean consentEnded = link.consentEndDueAt == null && link.status != LinkStatus.LINK_STATUS_FAILED;
        Uni<Void> logged = consentEnded
                ? check(caller, link, bankAccountId, permission, purpose).onFailure().recoverWithNull().replaceWithVoid()
                : Uni.createFrom().voidItem();
        return logged.chain(() -> Uni.createFrom().failure(notActive(link)));
    }

    private static StatusRuntimeException notActive(Link link) {
        String why = link.statusReason == null || link.statusReason.isEmpty() ? "" : " (" + link.statusReason + ")";
        return Rejections.denied("access denied: the link is " + link.status.name().replace("LINK_STATUS_", "").toLowerCase() + why);
    }

    /**
     * CheckAccess as this service (its own token) for the person: the access log shows
     * account-link-service reading, for this permission and purpose.
     */
    private Uni<Void> check(Caller caller, Link link, String bankAccountId, Permission permission, Purpose purpose) {
        return consents.requireAccess(caller.subject(), link.bankId, link.consentId.toString(), bankAccountId, permission, purpose);
    }

    /**
     * Before a retry of a read: the link as it is now, then its consent. The person's Unlink ends the link here first
     * and tells consent-service only after the bank (AccessEnding), so consent-service alone would still allow a retry
     * that comes in between, with the token the first attempt opened.
     */
    private Uni<Void> checkAgain(Caller caller, Link link, String bankAccountId, Permission permission, Purpose purpose) {
        return links.find(link.id).chain(now -> now == null ? Uni.createFrom().failure(notActive(link))
                        : refuseIfEnded(caller, now, bankAccountId, permission, purpose).chain(() -> sealedToken(now)))
                .chain(() -> check(caller, link, bankAccountId, permission, purpose));
    }

    private Uni<String> token(Link link) {
        return sealedToken(link).map(sealed -> cipher.open(link.id, sealed));
    }

    /** The link's token as stored, while the link is ACTIVE and its token usable; refused otherwise. */
    private Uni<TokenCipher.Sealed> sealedToken(Link link) {
        if (!link.isActive()) {
            return Uni.createFrom().failure(notActive(link));
        }
        return tokens.usable(link.id).invoke(sealed -> {
            if (sealed == null) {
                throw Rejections.denied("access denied: access to this bank has ended");
            }
        });
    }

    /** The bank's refusals as the person's; a retry that its consent check refused keeps that check's answer. */
    private static <T> Uni<T> bankAnswer(Uni<T> call) {
        return call.onFailure(f -> f instanceof StatusRuntimeException && !BankClient.refusedOnRetry(f)).transform(f -> {
            StatusRuntimeException e = (StatusRuntimeException) f;
            return switch (e.getStatus().getCode()) {
                case PERMISSION_DENIED -> Rejections.denied("the bank no longer accepts this link's access: "
                        + e.getStatus().getDescription());
                case NOT_FOUND -> Rejections.notFound("the bank does not know this account any more");
                case INVALID_ARGUMENT -> Rejections.invalid("the bank refused the request: " + e.getStatus().getDescription());
                default -> e;
            };
        });
    }
}
