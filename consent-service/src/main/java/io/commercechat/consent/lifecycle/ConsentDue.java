package io.commercechat.consent.lifecycle;

import io.commercechat.proto.consent.v1.ConsentStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Which consents are due to be ended at {@code now} by the database's clock: an authorised one at or past its expiry
 * (it expires), and one awaiting authorisation since {@code lapseCutoff} (= now - consent.authorisation-window) or
 * before (it lapses). The one definition of "due": in Java for a consent in hand ({@link #expired}, {@link #lapsed}:
 * CheckAccess, the state changes, the status the reads show, the sweep), and in SQL for the queries ({@link #EXPIRED},
 * {@link #LAPSED}, {@link #EITHER}: the sweep's claims, the status filter of ListConsents). The two forms stand here
 * together so that they change together.
 */
public record ConsentDue(Instant now, Instant lapseCutoff) {

    /** {@link #expired} over table consents; parameters {@link #parameters()}. */
    public static final String EXPIRED = "(status = :authorised and expires_at <= :now)";
    /** {@link #lapsed} over table consents; parameters {@link #parameters()}. */
    public static final String LAPSED = "(status = :awaiting and created_at <= :lapseCutoff)";
    /** Due either way. */
    public static final String EITHER = "(" + EXPIRED + " or " + LAPSED + ")";

    public static ConsentDue at(Instant now, Duration authorisationWindow) {
        return new ConsentDue(now, now.minus(authorisationWindow));
    }

    /** Authorised, and at or past its expiry. */
    public boolean expired(Consent c) {
        return c.status == ConsentStatus.CONSENT_STATUS_AUTHORISED && !c.expiresAt.isAfter(now);
    }

    /** Still awaiting authorisation, and created at or before the lapse cutoff. */
    public boolean lapsed(Consent c) {
        return c.status == ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION && !c.createdAt.isAfter(lapseCutoff);
    }

    /** The values of the SQL conditions' parameters. */
    public Map<String, Object> parameters() {
        return Map.of("authorised", ConsentStatus.CONSENT_STATUS_AUTHORISED.name(),
                "awaiting", ConsentStatus.CONSENT_STATUS_AWAITING_AUTHORISATION.name(), "now", now, "lapseCutoff", lapseCutoff);
    }
}
