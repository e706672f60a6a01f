package io.commercechat.sandbox.bank.authorisation;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.sandbox.bank.ledger.Ledger;
import io.commercechat.sandbox.bank.ledger.LedgerAccount;
import io.commercechat.sandbox.bank.link.BankLink;
import io.commercechat.sandbox.bank.link.BankLinks;
import io.commercechat.sandbox.bank.link.BankRevocations;
import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.sandbox.security.Secrets;
import io.commercechat.support.Pkce;
import io.commercechat.support.Rejections;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The OAuth-style authorisation-code flow of the sandbox bank: pending requests, the person's
 * decision, one-time codes and their exchange for a bank link. In memory; every transition is a
 * single atomic map operation, so two tabs approving at once or two exchanges of the same code
 * cannot both win.
 */
@ApplicationScoped
public class AuthorisationDesk {

    private static final Logger LOG = Logger.getLogger(AuthorisationDesk.class);
    /** The platform shows it to the person after its own words ("access ended by the bank: ..."). */
    static final String REPLAYED_CODE = "the code that authorised this access was used a second time, which can mean someone"
            + " else had it: link the account again to keep sharing it";

    private final SandboxConfig config;
    private final Clock clock;
    private final Ledger ledger;
    private final BankLinks links;
    private final BankRevocations revocations;
    private final Map<String, PendingAuthorisation> pending = new ConcurrentHashMap<>();
    /** Keyed by code hash; kept after use (until expiry) so that a replay is recognised. */
    private final Map<String, IssuedCode> codes = new ConcurrentHashMap<>();

    public AuthorisationDesk(SandboxConfig config, Clock clock, Ledger ledger, BankLinks links,
            BankRevocations revocations) {
        this.config = config;
        this.clock = clock;
        this.ledger = ledger;
        this.links = links;
        this.revocations = revocations;
    }

    private static final class IssuedCode {
        final String redirectUri;
        final String codeChallenge;
        final String customerId;
        final List<String> accountIds;
        final Set<Permission> permissions;
        final Instant accessExpiresAt;
        final Instant expiresAt;
        final AtomicBoolean used = new AtomicBoolean();
        /*
         * A replay and the winner's grant may overlap. Each side writes its field, then reads the other's; both are
         * volatile, so at least one of them sees the other's write and the granted link is revoked either way.
         */
        volatile boolean replayed;
        volatile String grantedLinkId;

        IssuedCode(String redirectUri, String codeChallenge, String customerId, List<String> accountIds,
                Set<Permission> permissions, Instant accessExpiresAt, Instant expiresAt) {
            this.redirectUri = redirectUri;
            this.codeChallenge = codeChallenge;
            this.customerId = customerId;
            this.accountIds = accountIds;
            this.permissions = permissions;
            this.accessExpiresAt = accessExpiresAt;
            this.expiresAt = expiresAt;
        }
    }

    public PendingAuthorisation begin(String state, String redirectUri, List<Permission> permissions, List<Purpose> purposes,
            Instant accessExpiresAt, String requesterDisplayName, String consentReference, String codeChallenge) {
        Instant now = clock.instant();
        sweep(now);
        if (!accessExpiresAt.isAfter(now)) {
            throw Rejections.invalid("expires_at must be in the future");
        }
        PendingAuthorisation p = new PendingAuthorisation(Secrets.random("az_", 18), state, redirectUri, permissions, purposes,
                accessExpiresAt, requesterDisplayName, consentReference, codeChallenge, now.plus(config.authorisationTtl()));
        pending.put(p.id(), p);
        LOG.infof("authorisation %s registered", Secrets.logRef(p.id()));  // the id opens the page
        return p;
    }

    public String authorisationUrl(PendingAuthorisation p) {
        String base = config.publicUrl().endsWith("/") ? config.publicUrl().substring(0, config.publicUrl().length() - 1)
                : config.publicUrl();
        return base + "/bank/authorise?request=" + p.id();
    }

    /** A request still waiting for the person, or a 404 problem for the page. */
    public PendingAuthorisation pending(String id) {
        PendingAuthorisation p = id == null ? null : pending.get(id);
        if (p == null || !clock.instant().isBefore(p.pageExpiresAt())) {
            throw new AuthorisationProblem(404, "This authorisation request is unknown, was already answered or has expired. "
                    + "Go back to the app and start linking again.");
        }
        return p;
    }

    /**
     * The person approved as {@code customerId}, sharing {@code accountIds}. Returns the redirect
     * location carrying a one-time code and the state.
     */
    public String approve(String id, String customerId, List<String> accountIds) {
        PendingAuthorisation p = pending(id);
        if (ledger.customer(customerId).isEmpty()) {
            throw new AuthorisationProblem(400, "Choose who you are signing in as.");
        }
        Set<String> own = new LinkedHashSet<>();
        ledger.accountsOf(customerId).forEach(a -> own.add(a.id()));
        Set<String> chosen = new LinkedHashSet<>(accountIds == null ? List.of() : accountIds);
        if (chosen.isEmpty()) {
            throw new AuthorisationProblem(400, "Select at least one account to share, or choose Deny.");
        }
        if (!own.containsAll(chosen)) {
            throw new AuthorisationProblem(400, "Only your own accounts can be shared.");
        }
        // keep the bank's account order
        List<String> ordered = ledger.accountsOf(customerId).stream().map(LedgerAccount::id).filter(chosen::contains).toList();
        if (pending.remove(id) == null) {
            throw new AuthorisationProblem(409, "This authorisation request was already answered.");
        }
        Instant now = clock.instant();
        String code = Secrets.random("sbc_", 24);
        codes.put(Secrets.hash(code), new IssuedCode(p.redirectUri(), p.codeChallenge(), customerId, ordered,
                Set.copyOf(p.permissions()), p.accessExpiresAt(),
                now.plus(config.codeTtl())));
        LOG.infof("authorisation %s approved (%d accounts)", Secrets.logRef(id), ordered.size());
        return redirect(p.redirectUri(), "code", code, p.state());
    }

    /** The person denied; the redirect location carries error=access_denied and the state. */
    public String deny(String id) {
        PendingAuthorisation p = pending(id);
        if (pending.remove(id) == null) {
            throw new AuthorisationProblem(409, "This authorisation request was already answered.");
        }
        LOG.infof("authorisation %s denied", Secrets.logRef(id));
        return redirect(p.redirectUri(), "error", "access_denied", p.state());
    }

    /**
     * Exchanges a code for a bank link. The code is spent by the first attempt of whoever began the authorisation
     * (the PKCE verifier matches) whatever its outcome; a second use also revokes the link the first one granted
     * (RFC 6749 section 4.1.2), and the platform is told of that as of any revocation at the bank. An attempt with
     * another verifier is refused without spending the code: it comes from someone who took the code from the person's
     * redirect, and must not keep the person's own link from completing.
     */
    public BankLinks.Grant exchange(String code, String redirectUri, String codeVerifier) {
        IssuedCode issued = code == null || code.isEmpty() ? null : codes.get(Secrets.hash(code));
        if (issued == null) {
            throw Rejections.precondition("authorisation code is unknown");
        }
        if (!Pkce.matches(codeVerifier, issued.codeChallenge)) {
            LOG.warn("authorisation code presented with a code_verifier that does not match its authorisation");
            throw Rejections.precondition("code_verifier does not match the code_challenge of the authorisation request");
        }
        if (!issued.used.compareAndSet(false, true)) {
            issued.replayed = true;
            revokeGranted(issued);
            throw Rejections.precondition("authorisation code was already used");
        }
        if (!clock.instant().isBefore(issued.expiresAt)) {
            throw Rejections.precondition("authorisation code has expired");
        }
        if (!issued.redirectUri.equals(redirectUri)) {
            throw Rejections.precondition("redirect_uri does not match the one of the authorisation request");
        }
        BankLinks.Grant grant = links.grant(issued.customerId, issued.accountIds, issued.permissions, issued.accessExpiresAt);
        issued.grantedLinkId = grant.link().id();
        if (issued.replayed) {
            revokeGranted(issued); // a replay came while granting and found no link yet
        }
        return grant;
    }

    /** What became of an issued code: whether an exchange spent it, and the link an exchange of it granted, if any. */
    public record CodeUse(boolean spent, Optional<BankLink> granted) {}

    /**
     * What became of {@code code} (the test hooks' view, e.g. of a code whose exchange's answer was lost); empty when the
     * bank does not know it (never issued, or forgotten since it expired).
     */
    public Optional<CodeUse> use(String code) {
        IssuedCode issued = code == null || code.isEmpty() ? null : codes.get(Secrets.hash(code));
        return Optional.ofNullable(issued)
                .map(c -> new CodeUse(c.used.get(), Optional.ofNullable(c.grantedLinkId).flatMap(links::byId)));
    }

    private void revokeGranted(IssuedCode issued) {
        Optional.ofNullable(issued.grantedLinkId).flatMap(links::byId)
                .ifPresent(l -> revocations.revokeAndTellLater(l, REPLAYED_CODE));
    }

    /** Forgets requests and codes that can no longer be used (keeps memory bounded). */
    private void sweep(Instant now) {
        pending.values().removeIf(p -> !now.isBefore(p.pageExpiresAt()));
        codes.values().removeIf(c -> now.isAfter(c.expiresAt.plus(config.codeTtl()).plusSeconds(600)));
    }

    private static String redirect(String redirectUri, String key, String value, String state) {
        String sep = redirectUri.contains("?") ? "&" : "?";
        return redirectUri + sep + key + "=" + enc(value) + "&state=" + enc(state);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
