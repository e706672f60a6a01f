package io.commercechat.consent.lifecycle.service;

import io.commercechat.consent.clock.DatabaseClock;
import io.commercechat.consent.config.ConsentConfig;
import io.commercechat.consent.eventlog.service.ConsentEventLog;
import io.commercechat.consent.grpc.Validate;
import io.commercechat.consent.lifecycle.Consent;
import io.commercechat.consent.lifecycle.ConsentDue;
import io.commercechat.consent.lifecycle.ConsentMapper;
import io.commercechat.consent.lifecycle.repository.ConsentRepository;
import io.commercechat.consent.lifecycle.repository.ConsentRepository.SweepPosition;
import io.commercechat.consent.receipt.Receipt;
import io.commercechat.consent.receipt.repository.ReceiptRepository;
import io.commercechat.consent.receipt.service.ReceiptSigner;
import io.commercechat.consent.security.Caller;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.PageTokens;
import io.commercechat.support.ProtoTime;
import io.commercechat.support.Rejections;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The consent state machine: AWAITING_AUTHORISATION -> AUTHORISED | REJECTED;
 * AUTHORISED -> REVOKED | EXPIRED. Every change locks its consent's row first (waiting for the checks in flight),
 * so changes to one consent are serialized; each appends one chained event, and authorisation and revocation issue
 * a signed receipt in the same transaction. The mesh-wide log lock comes last, in {@link ConsentEventLog#append}: a
 * revocation waiting for checks on its consent holds up no one else's changes. Whether a consent has expired or lapsed is
 * decided by the database's clock, read once the row is locked, as CheckAccess and the sweep decide it
 * ({@link DatabaseClock}; README, "One clock").
 */
@ApplicationScoped
public class ConsentLifecycle {

    public static final String LAPSED = "authorisation lapsed: the person did not approve in time";

    private final ConsentRepository consents;
    private final ConsentEventLog eventLog;
    private final ReceiptRepository receipts;
    private final ReceiptSigner signer;
    private final ConsentConfig config;
    private final DatabaseClock clock;

    public ConsentLifecycle(ConsentRepository consents, ConsentEventLog eventLog, ReceiptRepository receipts,
            ReceiptSigner signer, ConsentConfig config, DatabaseClock clock) {
        this.clock = clock;
        this.consents = consents;
        this.eventLog = eventLog;
        this.receipts = receipts;
        this.signer = signer;
        this.config = config;
    }

    @WithTransaction
    public Uni<Consent> create(Caller caller, CreateConsentRequest req) {
        Consent c = new Consent();
        c.id = UUID.randomUUID();
        c.userId = Validate.userId(caller.actingFor(req.getUserId()));
        c.bankId = GrpcValidation.bankId(req.getBankId());
        c.permissions = Consent.join(GrpcValidation.knownSet(req.getPermissionsList(), "permissions"));
        c.purposes = Consent.join(GrpcValidation.knownSet(req.getPurposesList(), "purposes"));
        c.accountIds = Consent.join(Validate.accountIds(req.getAccountIdsList()));
        if (req.getValidDays() < 1 || req.getValidDays() > config.maxValidDays()) {
            throw Rejections.invalid("valid_days must be between 1 and " + config.maxValidDays());
        }
        // as PostgreSQL keeps them (µs): the CREATED event and the answer show what GetConsent and the receipts show
        c.transactionFrom = micros(ProtoTime.from(req.getTransactionFrom(), "transaction_from"));
        c.transactionTo = micros(ProtoTime.from(req.getTransactionTo(), "transaction_to"));
        if (c.transactionFrom != null && c.transactionTo != null && c.transactionFrom.isAfter(c.transactionTo)) {
            throw Rejections.invalid("transaction_from must not be after transaction_to");
        }
        c.status = ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION;
        c.statusReason = "waiting for the person to approve at the bank";
        c.version = Consent.FIRST_VERSION; // kept by persist: a version this answer shows can be named as expected_version
        // the lapse and the expiry are measured from the database's clock, as they are checked
        return clock.now().chain(now -> {
            c.createdAt = now;
            c.updatedAt = now;
            c.expiresAt = now.plus(Duration.ofDays(req.getValidDays()));
            return consents.persist(c)
                    .call(consents::flush)
                    .call(saved -> eventLog.append(saved, ConsentEventType.CONSENT_EVENT_TYPE_CREATED, actorFor(caller)));
        });
    }

    /**
     * {@code expectedVersion}: the version the caller read (CreateConsent, GetConsent); when it is not the consent's
     * version under the lock, the consent changed since that read and nothing is done (FAILED_PRECONDITION, not ABORTED:
     * an awaiting consent that changed is no longer awaiting, so reading it again and retrying cannot succeed). 0: no
     * check.
     */
    @WithTransaction
    public Uni<Consent> authorise(Caller caller, String consentId, String userId, List<String> accountIds,
            long expectedVersion) {
        UUID id = GrpcValidation.uuid(consentId, "consent_id");
        List<String> selected = Validate.accountIds(accountIds);
        GrpcValidation.nonNegative(expectedVersion, "expected_version");
        // as every other RPC checks a user_id: one no person can have is the caller's mistake, not a missing consent
        String owner = Validate.userId(userId);
        if (caller.isService() && owner.isEmpty()) {
            throw Rejections.invalid("user_id is required: the person whose consent it is");
        }
        return changeVisible(caller, id, (c, now) -> {
            if (!owner.isEmpty() && !owner.equals(c.userId)) {
                throw Rejections.notFound("consent " + id + " not found");  // another person's: as if it did not exist
            }
            // the caller's condition first: it learns that its read is out of date, and what the consent is now
            if (expectedVersion > 0 && c.version != expectedVersion) {
                throw Rejections.precondition("the consent is at version " + c.version + ", not the expected version "
                        + expectedVersion + ": it is " + describeWithReason(c));
            }
            requireStatus(c, ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, "authorised");
            if (dueAt(now).lapsed(c)) {
                throw Rejections.precondition(LAPSED + "; start linking again");
            }
            if (!selected.isEmpty()) {
                if (!c.accountIdList().isEmpty() && !new HashSet<>(c.accountIdList()).containsAll(selected)) {
                    throw Rejections.precondition("the selected accounts are outside the consent's account scope");
                }
                c.accountIds = Consent.join(selected);
            }
            c.status = ConsentStatus.CONSENT_STATUS_AUTHORISED;
            c.statusReason = "approved at the bank";
            c.authorisedAt = now;
            c.updatedAt = now;
            // the person's approval at the bank, whichever service relays it
            return transition(c, ConsentEventType.CONSENT_EVENT_TYPE_AUTHORISED, Actor.ACTOR_USER, ReceiptKind.RECEIPT_KIND_AUTHORISATION);
        });
    }

    @WithTransaction
    public Uni<Consent> reject(Caller caller, String consentId, String reason) {
        UUID id = GrpcValidation.uuid(consentId, "consent_id");
        String why = Validate.reason(reason);
        return changeVisible(caller, id, (c, now) -> {
            requireStatus(c, ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION, "rejected");
            c.status = ConsentStatus.CONSENT_STATUS_REJECTED;
            c.statusReason = why.isEmpty() ? "declined at the bank" : why;
            c.updatedAt = now;
            return transition(c, ConsentEventType.CONSENT_EVENT_TYPE_REJECTED, actorFor(caller), null);
        });
    }

    @WithTransaction
    public Uni<Consent> revoke(Caller caller, String consentId, Actor revokedBy, String reason) {
        UUID id = GrpcValidation.uuid(consentId, "consent_id");
        Actor by = GrpcValidation.known(revokedBy, "revoked_by");
        String why = Validate.reason(reason);
        if (!caller.isService() && by != Actor.ACTOR_USER) {
            throw Rejections.invalid("a person can only revoke as ACTOR_USER");
        }
        return changeVisible(caller, id, (c, now) -> {
            requireStatus(c, ConsentStatus.CONSENT_STATUS_AUTHORISED, "revoked");
            if (dueAt(now).expired(c)) {
                // it ended by expiry (the sweep records that shortly); a revocation receipt would misstate how
                throw Rejections.precondition("the consent expired on " + c.expiresAt.truncatedTo(ChronoUnit.SECONDS)
                        + " and cannot be revoked");
            }
            c.status = ConsentStatus.CONSENT_STATUS_REVOKED;
            c.endedBy = by;
            c.statusReason = !why.isEmpty() ? why : switch (by) {
                case ACTOR_BANK -> "access ended by the bank";
                case ACTOR_SYSTEM -> "access ended by Commerce Chat";
                default -> "access ended by you";
            };
            c.updatedAt = now;
            return transition(c, ConsentEventType.CONSENT_EVENT_TYPE_REVOKED, by, ReceiptKind.RECEIPT_KIND_REVOCATION);
        });
    }

    /** The consent as it reads now by the database's clock ({@link #view}). */
    @WithSession
    public Uni<io.commercechat.proto.consent.v1.Consent> get(Caller caller, String consentId) {
        UUID id = GrpcValidation.uuid(consentId, "consent_id");
        return consents.findById(id).map(c -> visible(caller, c, id))
                .chain(c -> clock.now().map(now -> view(c, dueAt(now))));
    }

    /** A page of consents as they read at one moment ({@link #view}), and the token of the next page ("" at the end). */
    public record ConsentPage(List<io.commercechat.proto.consent.v1.Consent> consents, String nextPageToken) {}

    @WithSession
    public Uni<ConsentPage> list(Caller caller, ListConsentsRequest req, int size) {
        String userId = Validate.userId(caller.actingFor(req.getUserId()));
        String bankId = req.getBankId().isEmpty() ? "" : GrpcValidation.bankId(req.getBankId());
        List<ConsentStatus> statuses = req.getStatusesList().stream().map(s -> GrpcValidation.known(s, "statuses")).toList();
        long before = PageTokens.decode(req.getPageToken(), Long.MAX_VALUE);
        // filtered by the status each consent reads as at the database's now, and shown as at the same now (view): a
        // due one by the status the sweep will give it
        return clock.now().map(this::dueAt).chain(due -> consents.page(userId, bankId, statuses, due, before, size + 1)
                .map(page -> new ConsentPage(page.stream().limit(size).map(c -> view(c, due)).toList(),
                        page.size() > size ? PageTokens.encode(page.get(size - 1).listSeq) : "")));
    }

    @WithSession
    public Uni<Receipt> receipt(Caller caller, String consentId, ReceiptKind kind) {
        UUID id = GrpcValidation.uuid(consentId, "consent_id");
        if (kind == ReceiptKind.UNRECOGNIZED) {
            throw Rejections.invalid("kind has an unknown value");
        }
        return consents.findById(id).map(c -> visible(caller, c, id))
                .chain(c -> receipts.latest(id, kind))
                .map(r -> {
                    if (r == null) {
                        throw Rejections.notFound("this consent has no such receipt yet");
                    }
                    return r;
                });
    }

    /** How the sweep ends a consent that is due: its new status, who ended it (null: nobody), why, and the event. */
    public record Ending(ConsentStatus status, Actor endedBy, String reason, ConsentEventType event) {}

    static final String EXPIRED = "access expired; renew it to keep seeing this account";

    /** Which consents are due at the database's time {@code now} (consent.authorisation-window sets the lapse). */
    public ConsentDue dueAt(Instant now) {
        return ConsentDue.at(now, config.authorisationWindow());
    }

    /**
     * The ending due for a consent, or null: an authorised consent past its expiry becomes EXPIRED; one that waited too
     * long for authorisation becomes REJECTED (lapsed).
     */
    public Ending dueEnding(Consent c, ConsentDue due) {
        if (due.expired(c)) {
            return new Ending(ConsentStatus.CONSENT_STATUS_EXPIRED, Actor.ACTOR_SYSTEM, EXPIRED, ConsentEventType.CONSENT_EVENT_TYPE_EXPIRED);
        }
        if (due.lapsed(c)) {
            return new Ending(ConsentStatus.CONSENT_STATUS_REJECTED, null, LAPSED, ConsentEventType.CONSENT_EVENT_TYPE_REJECTED);
        }
        return null;
    }

    /**
     * A consent as it reads at {@code due.now()}: one that is due reads as the sweep will record it (it runs every
     * {@code consent.sweep-interval}), so a person never sees an expired consent as authorised.
     */
    public io.commercechat.proto.consent.v1.Consent view(Consent c, ConsentDue due) {
        var shown = ConsentMapper.toProto(c);
        Ending ending = dueEnding(c, due);
        if (ending == null) {
            return shown;
        }
        var b = shown.toBuilder().setStatus(ending.status()).setStatusReason(ending.reason());
        if (ending.endedBy() != null) {
            b.setEndedBy(ending.endedBy());
        }
        return b.build();
    }

    /** What one step of the sweep did with the consent it took, or that none was left to take. */
    public enum SweepStep {
        ENDED,
        /** Not ended by this step: someone else ended it first, or the step failed (ConsentSweep). */
        NOT_ENDED,
        NONE_LEFT
    }

    /**
     * Ends the oldest consent that is due after {@code after} (null: from the start) by the database's clock, skipping
     * those that anyone else holds ({@link ConsentRepository#claimNextDue}). The replicas' sweeps each claim a different
     * consent, and a consent is ended once: the claim re-reads it under its lock. {@code claimed} learns the consent
     * taken before it is changed, so that a sweep goes on past one that fails.
     */
    @WithTransaction
    public Uni<SweepStep> endNextDue(SweepPosition after, Consumer<SweepPosition> claimed) {
        return clock.now().map(this::dueAt).chain(due -> consents.claimNextDue(due, after).chain(c -> {
            if (c == null) {
                return Uni.createFrom().item(SweepStep.NONE_LEFT);
            }
            claimed.accept(new SweepPosition(c.id, c.createdAt, c.listSeq));
            Ending ending = dueEnding(c, due);
            if (ending == null) { // claimNextDue selects by the same conditions at the same now
                throw new IllegalStateException("consent " + c.id + " was claimed by the sweep but is not due");
            }
            return end(c, ending, due.now());
        }));
    }

    /**
     * The sweep's second look: ends the oldest consent still due after {@code after}, waiting for whoever holds it (up to
     * consent.row-lock-timeout, as a change waits), so that a consent checks happen to hold whenever a run reaches it is
     * not passed over run after run. Decided, as the changes are, by the database's clock read under the lock: NOT_ENDED
     * when someone else ended it meanwhile.
     */
    @WithTransaction
    public Uni<SweepStep> endNextDueWaiting(SweepPosition after, Consumer<SweepPosition> claimed) {
        return clock.now().chain(now -> consents.nextDue(dueAt(now), after)).chain(next -> {
            if (next == null) {
                return Uni.createFrom().item(SweepStep.NONE_LEFT);
            }
            claimed.accept(next);
            return consents.findForChange(next.consentId(), config.rowLockTimeout()).chain(c -> clock.now().chain(now -> {
                Ending ending = dueEnding(c, dueAt(now));
                return ending == null ? Uni.createFrom().item(SweepStep.NOT_ENDED) : end(c, ending, now);
            }));
        });
    }

    /** Ends a consent that is due at {@code now}, as the sweep records it (ACTOR_SYSTEM, no receipt). */
    private Uni<SweepStep> end(Consent c, Ending ending, Instant now) {
        c.status = ending.status();
        if (ending.endedBy() != null) {
            c.endedBy = ending.endedBy();
        }
        c.statusReason = ending.reason();
        c.updatedAt = now;
        return transition(c, ending.event(), Actor.ACTOR_SYSTEM, null).replaceWith(SweepStep.ENDED);
    }

    private static Instant micros(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
    }

    /** Locks the consent, then applies {@code change} to it with the database's time, read under the lock. */
    private Uni<Consent> changeVisible(Caller caller, UUID id,
            BiFunction<? super Consent, Instant, Uni<? extends Consent>> change) {
        return consents.findForChange(id, config.rowLockTimeout())
                .map(c -> visible(caller, c, id))
                .<Consent>chain(c -> clock.now().<Consent>chain(now -> change.apply(c, now)));
    }

    private Uni<Consent> transition(Consent c, ConsentEventType type, Actor actor, ReceiptKind receipt) {
        Uni<Consent> flushed = consents.flush().replaceWith(c); // bumps the version before the snapshot
        // the receipt names the event it proves, so that a holder of it can show that event in the log
        return flushed
                .call(saved -> eventLog.append(saved, type, actor).chain(event -> receipt == null ? Uni.createFrom().voidItem()
                        : receipts.persist(signer.sign(saved, receipt, event)).replaceWithVoid()));
    }

    /** Another person's consent answers NOT_FOUND, so that its existence does not leak. */
    private static Consent visible(Caller caller, Consent c, UUID id) {
        if (c == null || !caller.maySee(c.userId)) {
            throw Rejections.notFound("consent " + id + " not found");
        }
        return c;
    }

    private static void requireStatus(Consent c, ConsentStatus required, String verb) {
        if (c.status != required) {
            // the reason tells the caller why (e.g. lapsed), whichever of the sweep or this call got there first
            throw Rejections.precondition("the consent is " + describeWithReason(c) + "; only a consent that is "
                    + describe(required) + " can be " + verb);
        }
    }

    /** Its stored status in words and the reason for it when it has one, e.g. "rejected (declined at the bank)". */
    public static String describeWithReason(Consent c) {
        return describe(c.status) + (c.statusReason == null || c.statusReason.isBlank() ? "" : " (" + c.statusReason + ")");
    }

    public static String describe(ConsentStatus s) {
        return s.name().replace("CONSENT_STATUS_", "").toLowerCase().replace('_', ' ');
    }

    private static Actor actorFor(Caller caller) {
        return caller.isService() ? Actor.ACTOR_SYSTEM : Actor.ACTOR_USER;
    }
}
