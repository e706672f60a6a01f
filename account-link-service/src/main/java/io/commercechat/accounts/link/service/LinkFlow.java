package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.client.BankClient;
import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.clock.DatabaseClock;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.bank.BankAnswers;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.LinkMapper;
import io.commercechat.accounts.link.LinkedAccount;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.link.repository.LinkedAccountRepository;
import io.commercechat.accounts.security.Caller;
import io.commercechat.accounts.token.repository.BankTokenRepository;
import io.commercechat.accounts.token.service.TokenCipher;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.accounts.v1.ListLinksResponse;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.BankAccount;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.PageTokens;
import io.commercechat.support.Pkce;
import io.commercechat.support.ProtoTime;
import io.commercechat.support.Rejections;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The authorisation-code flow of a link (DESIGN.md section 6) and the person's view of their
 * links. Person-initiated consent calls forward the person's token; bank calls use this service's.
 * Each database step is its own short transaction: none is held open across a remote call.
 */
@ApplicationScoped
public class LinkFlow {

    private static final Logger LOG = Logger.getLogger(LinkFlow.class);
    private static final int MAX_ACCOUNTS = 50;
    /** Pages of the bank's account list read at most: a bank whose page tokens never end must not hold a link open. */
    private static final int MAX_ACCOUNT_PAGES = 20;

    private final AccountsConfig config;
    private final BankRegistry banks;
    private final ConsentClient consents;
    private final LinkRepository links;
    private final LinkedAccountRepository accounts;
    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final AccessEnding ending;
    private final FailedLinkConsents failedLinkConsents;
    private final LinkReplacement replacement;
    private final DatabaseClock clock;
    private final SecureRandom random = new SecureRandom();

    public LinkFlow(AccountsConfig config, BankRegistry banks, ConsentClient consents, LinkRepository links,
            LinkedAccountRepository accounts, BankTokenRepository tokens, TokenCipher cipher, AccessEnding ending,
            FailedLinkConsents failedLinkConsents, LinkReplacement replacement, DatabaseClock clock) {
        this.config = config;
        this.banks = banks;
        this.consents = consents;
        this.links = links;
        this.accounts = accounts;
        this.tokens = tokens;
        this.cipher = cipher;
        this.ending = ending;
        this.failedLinkConsents = failedLinkConsents;
        this.replacement = replacement;
        this.clock = clock;
    }

    public Uni<BeginLinkResponse> begin(Caller caller, BeginLinkRequest req) {
        String bankId = GrpcValidation.bankId(req.getBankId());
        BankClient bank = banks.bank(bankId);
        List<Permission> permissions = GrpcValidation.knownSet(req.getPermissionsList(), "permissions");
        if (!permissions.contains(Permission.PERMISSION_ACCOUNTS_BASIC)) {
            // completing the link reads which accounts the person chose (names, types, currencies) under this consent
            throw Rejections.invalid("permissions must include PERMISSION_ACCOUNTS_BASIC: linking reads the names, types"
                    + " and currencies of the accounts you choose");
        }
        List<Purpose> purposes = GrpcValidation.knownSet(req.getPurposesList(), "purposes");
        int validDays = Validate.validDays(req.getValidDays());
        String redirectUri = Validate.redirectUri(req.getRedirectUri(), config.allowedRedirectPrefixes());
        // The consent states how far back transactions may be read (as Open Banking's TransactionFromDateTime): whole
        // days, sent to consent-service, never compared with an expiry here, so the JVM's clock is good enough.
        Instant transactionFrom = BankDataReader.earliestTransaction(Instant.now(), config.transactionsMaxHistory());

        return consents.create(caller.rawToken(), CreateConsentRequest.newBuilder().setBankId(bankId)
                .addAllPermissions(permissions).addAllPurposes(purposes).setValidDays(validDays)
                .setTransactionFrom(ProtoTime.of(transactionFrom)).build())
                .chain(consent -> clock.now().chain(now -> {
                    byte[] raw = new byte[32];
                    random.nextBytes(raw);
                    String state = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
                    Link link = pending(caller, bankId, consent, permissions, purposes, redirectUri, state, validDays, now);
                    link.codeVerifier = Pkce.newVerifier(random);
                    return links.insert(link)
                            .chain(() -> bank.beginAuthorisation(BeginAuthorisationRequest.newBuilder().setState(state)
                                    .setCodeChallenge(Pkce.challenge(link.codeVerifier))
                                    .setRedirectUri(redirectUri).addAllPermissions(permissions).addAllPurposes(purposes)
                                    .setExpiresAt(ProtoTime.of(link.expiresAt))
                                    .setRequesterDisplayName(config.requesterDisplayName())
                                    .setConsentReference(link.consentId.toString()).build())
                                    .onFailure().call(e -> fail(link, caller, "the bank could not start the authorisation")))
                            .chain(authorisation -> view(link.id).map(view -> {
                                LOG.infof("link %s begun with bank %s", link.id, bankId);
                                return BeginLinkResponse.newBuilder().setLink(view)
                                        .setAuthorisationUrl(authorisation.getAuthorisationUrl()).setState(state).build();
                            }));
                }));
    }

    /**
     * A PENDING link stamped at {@code now}, the database's time, as its authorisation window is (CompleteLink compares
     * the claim's time, the database's too, with it).
     */
    private Link pending(Caller caller, String bankId, Consent consent, List<Permission> permissions, List<Purpose> purposes,
            String redirectUri, String state, int validDays, Instant now) {
        Link link = new Link();
        link.id = UUID.randomUUID();
        link.userId = caller.subject();
        link.bankId = bankId;
        link.consentId = UUID.fromString(consent.getId());
        link.status = LinkStatus.LINK_STATUS_PENDING;
        link.statusReason = "";
        link.permissions = Link.join(permissions);
        link.purposes = Link.join(purposes);
        link.redirectUri = redirectUri;
        link.stateHash = hash(state);
        link.stateExpiresAt = now.plus(config.authorisationWindow());
        link.createdAt = now;
        link.updatedAt = now;
        link.expiresAt = consent.hasExpiresAt() ? ProtoTime.from(consent.getExpiresAt(), "expires_at")
                : now.plus(validDays, ChronoUnit.DAYS);
        link.transactionFrom = consent.hasTransactionFrom() ? ProtoTime.from(consent.getTransactionFrom(), "transaction_from") : null;
        link.transactionTo = consent.hasTransactionTo() ? ProtoTime.from(consent.getTransactionTo(), "transaction_to") : null;
        return link;
    }

    public Uni<io.commercechat.proto.accounts.v1.Link> complete(Caller caller, CompleteLinkRequest req) {
        String state = Validate.state(req.getState());
        String code = Validate.code(req.getCode());
        String error = GrpcValidation.optional(req.getError(), "error", 200);
        if (code.isEmpty() && error.isEmpty()) {
            throw Rejections.invalid("code or error is required (from the bank's redirect)");
        }
        String stateHash = hash(state);
        String codeHash = code.isEmpty() ? null : completionHash(state, code);
        // the claim is stamped, and the authorisation window judged, by the database's clock (as the window was set)
        return clock.now().chain(now -> links.claimState(stateHash, caller.subject(), codeHash, now).chain(link -> {
            if (link == null) {
                return links.findByStateHash(stateHash).chain(known -> completedBefore(caller, known, codeHash));
            }
            if (!now.isBefore(link.stateExpiresAt)) {
                return fail(link, caller, "the authorisation took too long")
                        .chain(() -> Uni.createFrom().failure(Rejections.precondition("the authorisation expired: start the link again")));
            }
            if (!error.isEmpty()) {
                String reason = "access_denied".equals(error) ? "you declined at the bank" : "the bank reported: " + safe(error);
                return fail(link, caller, reason).chain(() -> view(link.id));
            }
            if (link.codeVerifier == null) {
                // begun before links kept a PKCE verifier: the bank cannot exchange its code
                return fail(link, caller, "the authorisation was started by an earlier version")
                        .chain(() -> Uni.createFrom().failure(Rejections.precondition("this authorisation can no longer be"
                                + " completed: start the link again")));
            }
            BankClient bank = banks.bank(link.bankId);
            ExchangeCodeRequest exchange = ExchangeCodeRequest.newBuilder().setCode(code).setRedirectUri(link.redirectUri)
                    .setCodeVerifier(link.codeVerifier).build();
            return bank.exchangeCode(exchange)
                    .onFailure(StatusRuntimeException.class).recoverWithUni(e -> {
                        Status status = ((StatusRuntimeException) e).getStatus();
                        if (BankClient.outcomeUnknown(e)) {
                            return presentAgain(bank, link, exchange)
                                    .chain(() -> fail(link, caller, "the bank's answer to the code exchange was lost"))
                                    .chain(() -> Uni.createFrom().failure(Status.ABORTED.withDescription(banks.displayName(
                                            link.bankId) + " did not answer the exchange of the authorisation code, so the"
                                            + " link could not be completed: start the link again").asRuntimeException()));
                        }
                        boolean refused = status.getCode() == Status.Code.FAILED_PRECONDITION;
                        String why = refused ? "the bank refused the authorisation code: "
                                + Objects.requireNonNullElse(status.getDescription(), "no reason given")
                                : "the bank could not exchange the authorisation code";
                        return fail(link, caller, why).chain(() -> Uni.createFrom().failure(refused ? Rejections.precondition(why) : e));
                    })
                    .chain(exchanged -> activate(caller, bank, link, exchanged));
        }));
    }

    /**
     * The code exchange's answer was lost (deadline, connection, cancelled): the bank may have issued a token that nobody
     * here holds, and which nothing could revoke. The same code is presented once more, as a replay: a bank refuses a
     * code presented again and revokes every token issued from it (BankConnector.ExchangeCode; RFC 6749 section 4.1.2,
     * 10.5). A token that second presentation is given after all (the first never reached the bank) is revoked like
     * any unused one. Not a retry of the exchange: the link fails whatever the answer. Never fails.
     */
    private Uni<Void> presentAgain(BankClient bank, Link link, ExchangeCodeRequest exchange) {
        return bank.presentCodeAgain(exchange)
                .chain(issued -> {
                    LOG.warnf("link %s: bank %s issued a token to the code presented again after a lost answer; it is revoked",
                            link.id, bank.bankId());
                    return revokeUnused(bank, link.id, issued.getAccessToken());
                })
                .onFailure().recoverWithUni(e -> {
                    if (code(e) == Status.Code.FAILED_PRECONDITION) {
                        LOG.infof("link %s: bank %s refused the code presented again after a lost answer, revoking what it"
                                + " issued from it", link.id, bank.bankId());
                    } else {
                        LOG.warnf("link %s: the code presented again to bank %s after a lost answer went unanswered too (%s):"
                                + " a token the bank may have issued from it stays valid there until it expires or the bank"
                                + " ends it", link.id, bank.bankId(), code(e));
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * CompleteLink for a state that was used already. The same completion asked again (same state, so the same link;
     * the same person; the same code), as a client does that timed out before it saw the answer: answered with the link
     * while it is ACTIVE, which only that completion can have made it, or ABORTED while that completion is still
     * running. Everything else is refused as before: another person's state is unknown, another code or a link that
     * is not ACTIVE (failed, or ended since) finds the state used.
     */
    private Uni<io.commercechat.proto.accounts.v1.Link> completedBefore(Caller caller, Link known, String codeHash) {
        if (known == null || !known.userId.equals(caller.subject())) {
            return Uni.createFrom().failure(Rejections.precondition(
                    "unknown state: this authorisation was not started here (start the link again)"));
        }
        if (sameCompletion(known, codeHash)) {
            if (known.status == LinkStatus.LINK_STATUS_ACTIVE) {
                LOG.infof("link %s: its completion was asked again and is answered with the active link", known.id);
                return view(known.id);
            }
            if (known.status == LinkStatus.LINK_STATUS_PENDING) {
                return Uni.createFrom().failure(Status.ABORTED.withDescription("link " + known.id
                        + " is still being completed: ask again in a moment").asRuntimeException());
            }
        }
        return Uni.createFrom().failure(Rejections.precondition("the state was already used (link " + known.id + " is "
                + describe(known.status) + ")"));
    }

    private static boolean sameCompletion(Link known, String codeHash) {
        return codeHash != null && known.completionCodeHash != null && MessageDigest.isEqual(
                codeHash.getBytes(StandardCharsets.US_ASCII), known.completionCodeHash.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * What recognises a completion's code without keeping it: the state (256 random bits, itself never stored) salts the
     * hash, so the stored value says nothing about a code without the state.
     */
    static String completionHash(String state, String code) {
        return hash(state + "\n" + code);
    }

    /**
     * After the code exchange: accounts, consent authorised, token sealed, link ACTIVE and the person's earlier link to
     * the bank ended (one transaction), then the bank and consent-service told of that ending (LinkReplacement).
     */
    private Uni<io.commercechat.proto.accounts.v1.Link> activate(Caller caller, BankClient bank, Link link, ExchangeCodeResponse exchanged) {
        String accessToken = exchanged.getAccessToken();
        // checked inside the chain, so that a bank answer we cannot use still ends its token there (below), and
        // before the consent is authorised or anything is read at the bank
        return Uni.createFrom().item(() -> new Grant(BankAnswers.tokenExpiry(link.bankId, exchanged),
                        BankAnswers.bankLinkId(link.bankId, exchanged.getBankLinkId()),
                        BankAnswers.accountIds(link.bankId, exchanged.getAccountIdsList())))
                .call(grant -> links.recordBankLink(link.id, grant.bankLinkId())
                        .onFailure(LinkRepository::bankLinkIdTaken).transform(e -> BankAnswers.bankLinkIdTaken(link.bankId))
                        .invoke(recorded -> {
                            if (!recorded) {  // ended meanwhile (the person, the bank): its consent is not authorised
                                throw Rejections.precondition("the link is no longer pending");
                            }
                        }))
                .chain(grant -> consentedAccounts(caller, bank, link, accessToken, grant.accountIds())
                .chain(selected -> {
                    if (selected.isEmpty()) {
                        throw Rejections.precondition("no account was selected at the bank");
                    }
                    TokenCipher.Sealed sealed = cipher.seal(link.id, accessToken);
                    // the person's earlier link to this bank ends as this one becomes ACTIVE: one live link per bank
                    // (an earlier link past its expiry by the database's clock ends EXPIRED)
                    return Panache.withTransaction(() -> clock.now().chain(now -> replacement.endEarlierLinks(link, now)
                            .call(() -> links.activate(link.id, grant.bankLinkId(), now)
                                    .chain(activated -> activated
                                            ? accounts.persist(selected)
                                                    .chain(() -> tokens.insert(link.id, sealed, grant.tokenExpiry(), now))
                                                    .replaceWithVoid()
                                            : Uni.createFrom().failure(Rejections.precondition("the link is no longer pending"))))))
                            .onFailure(LinkRepository::bankLinkIdTaken).transform(e -> BankAnswers.bankLinkIdTaken(link.bankId))
                            .onFailure(LinkRepository::anotherActiveLinkWithTheBank).transform(e -> replacement.anotherActiveLink(link));
                }))
                // active after all (the commit's answer was lost): the sweeps finish what it replaced
                .onFailure().recoverWithUni(e -> activeAfterAll(link.id).chain(active -> active
                        ? Uni.createFrom().item(List.<LinkReplacement.Replaced>of())
                        : abandon(caller, bank, link, accessToken)
                                .chain(() -> Uni.createFrom().<List<LinkReplacement.Replaced>>failure(e))))
                .call(replaced -> replacement.finish(link, replaced, caller.rawToken()))
                .chain(() -> {
                    LOG.infof("link %s active with bank %s", link.id, link.bankId);
                    return view(link.id);
                });
    }

    /**
     * The bank issued a token this completion will not use (the activation failed, and did not commit after all, which
     * would have made the link ACTIVE: only this completion can): it is ended at the bank, and the link and its consent
     * here. A link someone else ended meanwhile has its consent ended too, since this completion may have authorised it
     * after their end of it (nothing when it has ended already).
     */
    private Uni<Void> abandon(Caller caller, BankClient bank, Link link, String accessToken) {
        return revokeUnused(bank, link.id, accessToken)
                .chain(() -> fail(link, caller, "the link could not be completed"))
                .chain(failedHere -> failedHere ? Uni.createFrom().voidItem()
                        : failedLinkConsents.endConsent(null, link.consentId.toString(), "the link ended while it was being completed")
                                .onFailure().recoverWithNull());
    }

    /** Whether the link is ACTIVE now; false when that cannot be read either. */
    private Uni<Boolean> activeAfterAll(UUID linkId) {
        return links.find(linkId).map(l -> l != null && l.status == LinkStatus.LINK_STATUS_ACTIVE)
                .onFailure().recoverWithItem(false);
    }

    /**
     * The accounts the person selected at the bank, as the bank named them in the code exchange (at least one: the
     * contract requires it, BankAnswers.accountIds), read only once the consent is authorised for them and the read is
     * checked (and so in the person's access log). Before, a bank that named none had its list read first to learn
     * them: a read before any consent or check, never in the access log when the link then failed.
     */
    private Uni<List<LinkedAccount>> consentedAccounts(Caller caller, BankClient bank, Link link, String accessToken,
            List<String> named) {
        return consents.authorise(link.userId, link.consentId.toString(), named)
                .chain(() -> accountListRead(caller, link))
                .chain(() -> accountPage(caller, bank, link, accessToken, new LinkedHashSet<>(named), new ArrayList<>(), "", 1));
    }

    /** The named accounts as the bank lists them, with their numbers masked only under ACCOUNTS_DETAIL ("" otherwise). */
    private Uni<List<LinkedAccount>> accountPage(Caller caller, BankClient bank, Link link, String accessToken,
            Set<String> wanted, List<LinkedAccount> out, String pageToken, int pageNumber) {
        if (pageNumber > MAX_ACCOUNT_PAGES) {
            return Uni.createFrom().failure(BankAnswers.endlessAccountList(bank.bankId(), MAX_ACCOUNT_PAGES));
        }
        // the list, all its pages, is one read, checked once before its first page; a page asked for again after a
        // failure is checked (and recorded) again, as the bank may have served the failed attempt (BankClient.retried)
        return bank.listAccounts(BankListAccountsRequest.newBuilder().setAccessToken(accessToken).setPageSize(100)
                .setPageToken(pageToken).build(), () -> accountListRead(caller, link)).chain(page -> {
                    for (BankAccount a : page.getAccountsList()) {
                        // an account listed twice (a bank's offset paging while its accounts change) is linked once:
                        // linked_accounts keeps each of a link's accounts once, and a second row failed the link
                        if (wanted.contains(a.getAccountId()) && out.size() < MAX_ACCOUNTS
                                && out.stream().noneMatch(known -> known.bankAccountId.equals(a.getAccountId()))) {
                            BankAnswers.account(bank.bankId(), a);
                            out.add(LinkedAccount.of(link.id, out.size(), a.getAccountId(),
                                    LinkRepository.truncate(a.getDisplayName()), a.getType(), a.getCurrency(),
                                    link.coversAccountDetails() ? LinkedAccount.mask(a.getAccountNumber()) : ""));
                        }
                    }
                    String next = page.getNextPageToken();
                    return next.isEmpty() || out.size() >= MAX_ACCOUNTS ? Uni.createFrom().item(out)
                            : accountPage(caller, bank, link, accessToken, wanted, out, next, pageNumber + 1);
                });
    }

    public Uni<io.commercechat.proto.accounts.v1.Link> get(Caller caller, String linkId) {
        return own(caller, linkId).chain(l -> view(l.id));
    }

    public Uni<ListLinksResponse> list(Caller caller, int pageSize, String pageToken) {
        int size = GrpcValidation.pageSize(pageSize);
        long before = PageTokens.decode(pageToken, Long.MAX_VALUE);
        return links.page(caller.subject(), before, size + 1).chain(page -> {
            List<Link> shown = page.stream().limit(size).toList();
            return accounts.accountsOf(shown.stream().map(l -> l.id).toList()).chain(byLink -> clock.now().map(now -> {
                var b = ListLinksResponse.newBuilder();
                shown.forEach(l -> b.addLinks(LinkMapper.toProto(l, banks.displayName(l.bankId), byLink.getOrDefault(l.id, List.of()),
                        now)));
                if (page.size() > size) {
                    b.setNextPageToken(PageTokens.encode(shown.get(size - 1).listSeq));
                }
                return b.build();
            }));
        });
    }

    /**
     * The person ends a link. It ends here first, whatever consent-service says: no read goes through it from then on,
     * its accounts' bank data is erased, the bank is told and the token deleted. Then the consent is revoked (by them);
     * when consent-service cannot be told now, FailedLinkConsents revokes it as soon as it answers (the link carries
     * its consent's end as due from the statement that ended it). Before, Unlink failed with UNAVAILABLE while
     * consent-service was down and the link stayed ACTIVE: the person could not stop access. Idempotent.
     */
    public Uni<io.commercechat.proto.accounts.v1.Link> unlink(Caller caller, String linkId) {
        return own(caller, linkId).chain(link -> unlink(caller, link));
    }

    private Uni<io.commercechat.proto.accounts.v1.Link> unlink(Caller caller, Link link) {
        if (link.status == LinkStatus.LINK_STATUS_ACTIVE) {
            return failedLinkConsents.revokeLink(link, "revoked by you in the app", false, caller.rawToken())
                    .chain(() -> view(link.id));
        }
        if (link.status == LinkStatus.LINK_STATUS_PENDING) {
            return fail(link, caller, "cancelled by you").chain(failedHere -> failedHere ? view(link.id)
                    // completed (or ended) a moment ago: unlink it as what it is now, an ACTIVE link included
                    : links.find(link.id).chain(now -> now.status == LinkStatus.LINK_STATUS_PENDING ? view(link.id)
                            : unlink(caller, now)));
        }
        // Ended elsewhere a moment ago: the bank may not have confirmed yet, and Unlink promises it has.
        return ending.revokeNow(link.id).chain(() -> view(link.id));
    }

    /** The link if it is the caller's; another person's link does not exist for them. */
    public Uni<Link> own(Caller caller, String linkId) {
        UUID id = GrpcValidation.uuid(linkId, "link_id");
        return links.find(id).map(l -> {
            if (l == null || !l.userId.equals(caller.subject())) {
                throw Rejections.notFound("no link " + id);
            }
            return l;
        });
    }

    /**
     * The account list read at the bank to complete the link goes into the person's access log like every other
     * read: checked against the consent the person has just authorised (ACCOUNTS_DETAIL when masked numbers are kept,
     * ACCOUNTS_BASIC otherwise; the link's first purpose).
     */
    private Uni<Void> accountListRead(Caller caller, Link link) {
        return consents.requireAccess(caller.subject(), link.bankId, link.consentId.toString(), "",
                link.accountListPermission(), link.purposeList().get(0));
    }

    /** What the bank's code exchange granted, as this service keeps it, and the accounts the person selected. */
    private record Grant(Instant tokenExpiry, String bankLinkId, List<String> accountIds) {}

    private Uni<io.commercechat.proto.accounts.v1.Link> view(UUID linkId) {
        return links.find(linkId).chain(l -> accounts.accountsOf(List.of(l.id)).chain(byLink -> clock.now()
                .map(now -> LinkMapper.toProto(l, banks.displayName(l.bankId), byLink.getOrDefault(l.id, List.of()), now))));
    }

    /**
     * PENDING -> FAILED, and the consent is ended: rejected while it awaits authorisation, revoked when the failure
     * came after the person authorised it, so no consent stays authorised for a link that does not exist. The link
     * is marked with its consent's end due as it fails; when consent-service cannot be told now, FailedLinkConsents
     * retries until it is done. Only a link still PENDING is failed, and only then is its consent ended here: a link
     * that became ACTIVE meanwhile keeps its consent (false). Never fails: it runs on the way out of another failure.
     */
    private Uni<Boolean> fail(Link link, Caller caller, String why) {
        String reason = Validate.composedReason(why);  // it may carry the bank's words
        String consentId = link.consentId.toString();
        // due after a lease, as Unlink's: the sweep takes it only if this call does not get to clear it (else the
        // sweep's end, as this service, could overtake the person's own and be recorded as the system's)
        return clock.now().chain(now -> links.fail(link.id, reason, now, now.plus(FailedLinkConsents.LEASE)))
                .chain(failed -> !failed ? Uni.createFrom().item(false)
                        : failedLinkConsents.endConsent(caller.rawToken(), consentId, reason)
                                .chain(() -> links.consentEnded(link.id)).replaceWith(true))
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("could not fail link %s / end consent %s now (%s); retried until done", link.id, link.consentId,
                            code(e));
                    return Uni.createFrom().item(true);
                });
    }

    /**
     * Ends at the bank the token it issued for a link that will not be completed. When the bank cannot be told now, the
     * token is kept sealed, marked for revocation only, and AccessEnding retries until the bank confirmed (before, it
     * was forgotten and stayed valid at the bank). Never fails: it runs on the way out of another failure.
     */
    private Uni<Void> revokeUnused(BankClient bank, UUID linkId, String accessToken) {
        if (accessToken.isEmpty()) {
            // an answer without a token: nothing to revoke, and an empty one kept for the retry would be retried forever
            LOG.warnf("bank %s answered link %s's code exchange without an access token; nothing to revoke", bank.bankId(), linkId);
            return Uni.createFrom().voidItem();
        }
        String reason = "link not completed";
        return bank.revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken(accessToken).setReason(reason).build())
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("could not revoke the unused token of link %s at bank %s (%s); retried until the bank confirms",
                            linkId, bank.bankId(), code(e));
                    return Uni.createFrom().item(() -> cipher.seal(linkId, accessToken))
                            .chain(sealed -> clock.now().chain(now -> tokens.insertForRevocation(linkId, sealed, reason, now,
                                    now.plusSeconds(AccessEnding.backoffSeconds(1)))))
                            .replaceWithVoid()
                            .onFailure().recoverWithUni(notKept -> {
                                LOG.warnf("the unused token of link %s could not be kept for the retry (%s): it stays valid"
                                        + " at bank %s until the bank ends it", linkId, notKept.getClass().getSimpleName(),
                                        bank.bankId());
                                return Uni.createFrom().voidItem();
                            });
                });
    }

    static Status.Code code(Throwable e) {
        return e instanceof StatusRuntimeException s ? s.getStatus().getCode() : Status.Code.UNKNOWN;
    }

    static String hash(String state) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(state.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(LinkStatus s) {
        return s.name().replace("LINK_STATUS_", "").toLowerCase();
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9_ .-]", "");
    }
}
