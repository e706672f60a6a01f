package io.commercechat.consent.access.service;

import io.commercechat.consent.access.AccessRecord;
import io.commercechat.consent.access.repository.AccessRecordRepository;
import io.commercechat.consent.clock.DatabaseClock;
import io.commercechat.consent.grpc.Validate;
import io.commercechat.consent.lifecycle.Consent;
import io.commercechat.consent.lifecycle.ConsentDue;
import io.commercechat.consent.lifecycle.repository.ConsentRepository;
import io.commercechat.consent.lifecycle.service.ConsentLifecycle;
import io.commercechat.consent.security.Caller;
import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.CheckAccessRequest;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.PageTokens;
import io.commercechat.support.Rejections;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * Decides every bank-data read. Candidate consents are read with a shared row lock: a revocation
 * (which updates the row) waits for checks in flight, so once RevokeConsent has returned, no later
 * check can see the consent as authorised. Expiry is enforced here, not only by the sweep, by the database's clock read
 * once the candidates are locked: the clock the sweep ends consents by, the same on every replica (README, "One clock").
 */
@ApplicationScoped
public class AccessChecker {

    private final ConsentRepository consents;
    private final AccessRecordRepository records;
    private final DatabaseClock clock;
    private final ConsentLifecycle lifecycle;

    public AccessChecker(ConsentRepository consents, AccessRecordRepository records, DatabaseClock clock,
            ConsentLifecycle lifecycle) {
        this.consents = consents;
        this.records = records;
        this.clock = clock;
        this.lifecycle = lifecycle;
    }

    public record Decision(boolean allowed, String reason, UUID consentId, UUID recordId) {}

    @WithTransaction
    public Uni<Decision> check(Caller caller, CheckAccessRequest req) {
        String userId = Validate.userId(caller.actingFor(req.getUserId()));
        String bankId = GrpcValidation.bankId(req.getBankId());
        String accountId = Validate.accountId(req.getAccountId());
        Permission permission = GrpcValidation.known(req.getPermission(), "permission");
        Purpose purpose = GrpcValidation.known(req.getPurpose(), "purpose");
        UUID consentId = GrpcValidation.optionalUuid(req.getConsentId(), "consent_id");
        // an empty account_id means the account list; balances and transactions are always of one account, and an
        // account-scoped consent covers only its accounts
        if (accountId.isEmpty() && (permission == Permission.PERMISSION_BALANCES || permission == Permission.PERMISSION_TRANSACTIONS)) {
            throw Rejections.invalid("account_id is required to read balances or transactions");
        }

        // Without a consent id, the person's authorised consents at the bank are the candidates (locked, so a revoke
        // waits for this check); only when there is none is the newest of any status read, mostly to say why access is
        // denied.
        Uni<List<Consent>> candidates = consentId != null
                ? consents.find("id = ?1 and userId = ?2", consentId, userId).withLock(LockModeType.PESSIMISTIC_READ).list()
                : consents.authorisedFor(userId, bankId)
                        .chain(authorised -> authorised.isEmpty()
                                // locked too: authorised since the read above, it may allow, and a revoke must wait
                                ? consents.find("userId = ?1 and bankId = ?2 order by listSeq desc", userId, bankId)
                                        .withLock(LockModeType.PESSIMISTIC_READ).range(0, 0).list()
                                : Uni.createFrom().item(authorised));
        return candidates.chain(found -> clock.now().chain(now -> {
            ConsentDue due = lifecycle.dueAt(now);
            Verdict verdict = decide(found, bankId, accountId, permission, purpose, due);
            AccessRecord r = new AccessRecord();
            r.id = UUID.randomUUID();
            r.userId = userId;
            r.bankId = bankId;
            r.accountId = accountId;
            r.consentId = verdict.consent == null ? null : verdict.consent.id;
            r.service = caller.service();
            r.permission = permission;
            r.purpose = purpose;
            r.decision = verdict.allowed ? AccessDecision.ACCESS_DECISION_ALLOW : AccessDecision.ACCESS_DECISION_DENY;
            r.reason = verdict.reason;
            r.occurredAt = now;
            return records.persist(r).map(saved -> new Decision(verdict.allowed, verdict.reason, r.consentId, r.id));
        }));
    }

    private record Verdict(boolean allowed, String reason, Consent consent) {}

    /** The first consent that allows wins; otherwise the most specific reason to deny. */
    private static Verdict decide(List<Consent> found, String bankId, String accountId, Permission permission,
            Purpose purpose, ConsentDue due) {
        String perm = permission.name().replace("PERMISSION_", "");
        String purp = purpose.name().replace("PURPOSE_", "");
        Verdict best = null;
        for (Consent c : found) {
            Verdict v;
            if (!c.bankId.equals(bankId)) {
                v = new Verdict(false, "the consent is for another bank", c);
            } else if (c.status != ConsentStatus.CONSENT_STATUS_AUTHORISED) {
                v = new Verdict(false, "the consent is " + ConsentLifecycle.describeWithReason(c), c);
            } else if (due.expired(c)) {
                v = new Verdict(false, "the consent expired on " + c.expiresAt.truncatedTo(ChronoUnit.SECONDS), c);
            } else if (!c.permissionList().contains(permission)) {
                v = new Verdict(false, "the consent does not include " + perm, c);
            } else if (!c.purposeList().contains(purpose)) {
                v = new Verdict(false, "the consent does not allow the purpose " + purp, c);
            } else if (!accountId.isEmpty() && !c.accountIdList().isEmpty() && !c.accountIdList().contains(accountId)) {
                v = new Verdict(false, "the account is not covered by the consent", c);
            } else {
                return new Verdict(true, "allowed by consent " + c.id + " for " + perm + " / " + purp, c);
            }
            if (best == null) {
                best = v;
            }
        }
        return best != null ? best : new Verdict(false, "no consent for this bank", null);
    }

    @WithSession
    public Uni<List<AccessRecord>> list(Caller caller, ListAccessRecordsRequest req, int limit) {
        String userId = Validate.userId(caller.actingFor(req.getUserId()));
        UUID consentId = GrpcValidation.optionalUuid(req.getConsentId(), "consent_id");
        return records.page(userId, consentId, PageTokens.decode(req.getPageToken(), Long.MAX_VALUE), limit);
    }
}
