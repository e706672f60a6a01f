package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.client.BankClient;
import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.grpc.GrpcErrors;
import io.commercechat.accounts.grpc.PageTokens;
import io.commercechat.support.ProtoTime;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.LinkMapper;
import io.commercechat.accounts.link.LinkedAccount;
import io.commercechat.accounts.link.repository.Db;
import io.commercechat.accounts.link.repository.LinkRepository;
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
import io.commercechat.proto.partner.v1.BankListAccountsResponse;
import io.commercechat.proto.partner.v1.BeginAuthorisationRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.RevokeAccessRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The authorisation-code flow of a link (DESIGN.md section 6) and the person's view of their
 * links. Person-initiated consent calls forward the person's token; bank calls use this service's.
 */
@ApplicationScoped
public class LinkFlow {

    private static final Logger LOG = Logger.getLogger(LinkFlow.class);
    private static final int MAX_ACCOUNTS = 50;

    private final AccountsConfig config;
    private final BankRegistry banks;
    private final ConsentClient consents;
    private final LinkRepository links;
    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final AccessEnding ending;
    private final Db db;
    private final SecureRandom random = new SecureRandom();

    public LinkFlow(AccountsConfig config, BankRegistry banks, ConsentClient consents, LinkRepository links,
            BankTokenRepository tokens, TokenCipher cipher, AccessEnding ending, Db db) {
        this.config = config;
        this.banks = banks;
        this.consents = consents;
        this.links = links;
        this.tokens = tokens;
        this.cipher = cipher;
        this.ending = ending;
        this.db = db;
    }

    public BeginLinkResponse begin(Caller caller, BeginLinkRequest req) {
        String bankId = Validate.bankId(req.getBankId());
        BankClient bank = banks.bank(bankId);
        List<Permission> permissions = Validate.knownSet(req.getPermissionsList(), "permissions");
        List<Purpose> purposes = Validate.knownSet(req.getPurposesList(), "purposes");
        int validDays = Validate.validDays(req.getValidDays());
        String redirectUri = Validate.redirectUri(req.getRedirectUri(), config.allowedRedirectPrefixes());

        Consent consent = consents.create(caller.rawToken(), CreateConsentRequest.newBuilder().setBankId(bankId)
                .addAllPermissions(permissions).addAllPurposes(purposes).setValidDays(validDays).build());
        UUID consentId = UUID.fromString(consent.getId());

        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String state = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        UUID linkId = UUID.randomUUID();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Instant expiresAt = consent.hasExpiresAt() ? ProtoTime.from(consent.getExpiresAt(), "expires_at")
                : now.plus(validDays, ChronoUnit.DAYS);
        links.insertPending(linkId, caller.subject(), bankId, consentId, permissions, purposes, redirectUri, hash(state),
                now.plus(config.authorisationWindow()), now, expiresAt);

        BeginAuthorisationResponse authorisation;
        try {
            authorisation = bank.beginAuthorisation(BeginAuthorisationRequest.newBuilder().setState(state)
                    .setRedirectUri(redirectUri).addAllPermissions(permissions).addAllPurposes(purposes)
                    .setExpiresAt(ProtoTime.of(expiresAt)).setRequesterDisplayName(config.requesterDisplayName())
                    .setConsentReference(consentId.toString()).build());
        } catch (StatusRuntimeException e) {
            fail(links.find(linkId).orElseThrow(), caller, "the bank could not start the authorisation");
            throw e;
        }
        LOG.infof("link %s begun with bank %s", linkId, bankId);
        return BeginLinkResponse.newBuilder().setLink(view(links.find(linkId).orElseThrow()))
                .setAuthorisationUrl(authorisation.getAuthorisationUrl()).setState(state).build();
    }

    public io.commercechat.proto.accounts.v1.Link complete(Caller caller, CompleteLinkRequest req) {
        String state = Validate.state(req.getState());
        String code = Validate.code(req.getCode());
        String error = req.getError();
        if (code.isEmpty() && error.isEmpty()) {
            throw GrpcErrors.invalid("code or error is required (from the bank's redirect)");
        }
        if (error.length() > 200) {
            throw GrpcErrors.invalid("error is longer than 200 characters");
        }
        String stateHash = hash(state);
        Instant now = Instant.now();
        Link link = links.claimState(stateHash, caller.subject(), now).orElseThrow(() -> {
            Link known = links.findByStateHash(stateHash).filter(l -> l.userId().equals(caller.subject())).orElse(null);
            if (known == null) {
                return GrpcErrors.precondition("unknown state: this authorisation was not started here (start the link again)");
            }
            return GrpcErrors.precondition("the state was already used (link " + known.id() + " is "
                    + describe(known.status()) + ")");
        });
        if (!now.isBefore(link.stateExpiresAt())) {
            fail(link, caller, "the authorisation took too long");
            throw GrpcErrors.precondition("the authorisation expired: start the link again");
        }
        if (!error.isEmpty()) {
            String reason = "access_denied".equals(error) ? "you declined at the bank" : "the bank reported: " + safe(error);
            fail(link, caller, reason);
            return view(links.find(link.id()).orElseThrow());
        }

        BankClient bank = banks.bank(link.bankId());
        ExchangeCodeResponse exchanged;
        try {
            exchanged = bank.exchangeCode(ExchangeCodeRequest.newBuilder().setCode(code).setRedirectUri(link.redirectUri()).build());
        } catch (StatusRuntimeException e) {
            String why = e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
                    ? "the bank refused the authorisation code: " + e.getStatus().getDescription()
                    : "the bank could not exchange the authorisation code";
            fail(link, caller, why);
            if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
                throw GrpcErrors.precondition(why);
            }
            throw e;
        }

        String accessToken = exchanged.getAccessToken();
        try {
            List<LinkedAccount> accounts = selectedAccounts(bank, link.id(), accessToken, exchanged.getAccountIdsList());
            if (accounts.isEmpty()) {
                throw GrpcErrors.precondition("no account was selected at the bank");
            }
            consents.authorise(caller.rawToken(), link.consentId().toString(),
                    accounts.stream().map(LinkedAccount::bankAccountId).toList());
            TokenCipher.Sealed sealed = cipher.seal(link.id(), accessToken);
            Instant tokenExpiry = exchanged.hasAccessTokenExpiresAt()
                    ? ProtoTime.from(exchanged.getAccessTokenExpiresAt(), "access_token_expires_at") : null;
            boolean activated = db.inTransaction(c -> {
                if (!links.activate(c, link.id(), exchanged.getBankLinkId().isEmpty() ? null : exchanged.getBankLinkId(),
                        accounts, Instant.now())) {
                    return false;
                }
                tokens.insert(c, link.id(), sealed, tokenExpiry, Instant.now());
                return true;
            });
            if (!activated) {
                throw GrpcErrors.precondition("the link is no longer pending");
            }
        } catch (RuntimeException e) {
            // The bank issued a token we will not use: end it there, and end the consent here.
            revokeQuietly(bank, accessToken);
            fail(link, caller, "the link could not be completed");
            throw e;
        }
        LOG.infof("link %s active with bank %s", link.id(), link.bankId());
        return view(links.find(link.id()).orElseThrow());
    }

    /** The accounts the person selected (all of the token's accounts when the bank did not say), masked. */
    private List<LinkedAccount> selectedAccounts(BankClient bank, UUID linkId, String accessToken, List<String> selected) {
        Set<String> wanted = new LinkedHashSet<>(selected);
        List<LinkedAccount> out = new ArrayList<>();
        String pageToken = "";
        do {
            BankListAccountsResponse page = bank.listAccounts(BankListAccountsRequest.newBuilder().setAccessToken(accessToken)
                    .setPageSize(100).setPageToken(pageToken).build());
            for (BankAccount a : page.getAccountsList()) {
                if ((wanted.isEmpty() || wanted.contains(a.getAccountId())) && out.size() < MAX_ACCOUNTS) {
                    out.add(new LinkedAccount(UUID.randomUUID(), linkId, out.size(), a.getAccountId(), a.getDisplayName(),
                            a.getType(), a.getCurrency(), LinkedAccount.mask(a.getAccountNumber())));
                }
            }
            pageToken = page.getNextPageToken();
        } while (!pageToken.isEmpty() && out.size() < MAX_ACCOUNTS);
        return out;
    }

    public io.commercechat.proto.accounts.v1.Link get(Caller caller, String linkId) {
        return view(own(caller, linkId));
    }

    public ListLinksResponse list(Caller caller, int pageSize, String pageToken) {
        int size = PageTokens.size(pageSize);
        List<Link> page = links.page(caller.subject(), PageTokens.decode(pageToken, Long.MAX_VALUE), size + 1);
        var b = ListLinksResponse.newBuilder();
        List<Link> shown = page.stream().limit(size).toList();
        Map<UUID, List<LinkedAccount>> accounts = links.accountsOf(shown.stream().map(Link::id).toList());
        shown.forEach(l -> b.addLinks(LinkMapper.toProto(l, banks.displayName(l.bankId()), accounts.getOrDefault(l.id(), List.of()))));
        if (page.size() > size) {
            b.setNextPageToken(PageTokens.encode(shown.get(size - 1).listSeq()));
        }
        return b.build();
    }

    /** The person ends a link: consent revoked (by them), then the bank told and the token deleted. Idempotent. */
    public io.commercechat.proto.accounts.v1.Link unlink(Caller caller, String linkId) {
        Link link = own(caller, linkId);
        if (link.status() == LinkStatus.LINK_STATUS_ACTIVE) {
            try {
                consents.revokeAsUser(caller.rawToken(), link.consentId().toString(), "revoked by you in the app");
            } catch (StatusRuntimeException e) {
                // Already ended in consent-service (e.g. expired a moment ago): end the link anyway.
                if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
                    throw e;
                }
            }
            ending.end(link, LinkStatus.LINK_STATUS_REVOKED, "revoked by you in the app");
        } else if (link.status() == LinkStatus.LINK_STATUS_PENDING) {
            fail(link, caller, "cancelled by you");
        }
        return view(links.find(link.id()).orElseThrow());
    }

    /** The link if it is the caller's; another person's link does not exist for them. */
    public Link own(Caller caller, String linkId) {
        UUID id = Validate.uuid(linkId, "link_id");
        return links.find(id).filter(l -> l.userId().equals(caller.subject()))
                .orElseThrow(() -> GrpcErrors.notFound("no link " + id));
    }

    private io.commercechat.proto.accounts.v1.Link view(Link l) {
        return LinkMapper.toProto(l, banks.displayName(l.bankId()), links.accountsOf(List.of(l.id())).getOrDefault(l.id(), List.of()));
    }

    /** PENDING -> FAILED, and the consent awaiting authorisation is rejected (best effort: it lapses anyway). */
    private void fail(Link link, Caller caller, String reason) {
        links.transition(link.id(), EnumSet.of(LinkStatus.LINK_STATUS_PENDING), LinkStatus.LINK_STATUS_FAILED, reason, Instant.now());
        try {
            consents.reject(caller.rawToken(), link.consentId().toString(), reason);
        } catch (StatusRuntimeException e) {
            LOG.warnf("could not reject consent %s of failed link %s (%s); it lapses on its own", link.consentId(), link.id(),
                    e.getStatus().getCode());
        }
    }

    private void revokeQuietly(BankClient bank, String accessToken) {
        try {
            bank.revokeAccess(RevokeAccessRequest.newBuilder().setAccessToken(accessToken).setReason("link not completed").build());
        } catch (StatusRuntimeException e) {
            LOG.warnf("could not revoke an unused token at bank %s (%s)", bank.bankId(), e.getStatus().getCode());
        }
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
