package io.commercechat.accounts.link.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Background work that keeps failing, for an operator to look at. There is no dead-letter table: a row that fails
 * (a bank removed from the configuration, a token under a key id configured nowhere, a consent consent-service keeps
 * refusing) stays where it is and is retried at most every 10 minutes, behind the rows that are due before it, so it
 * holds nothing else up. Past {@link #AFTER_ATTEMPTS} failed attempts it counts in a gauge (each sweep counts the
 * whole database's, so every replica reports the same) and its failures are logged as errors instead of warnings.
 */
@ApplicationScoped
public class StuckWork {

    /** Failed attempts after which a retried row counts as stuck: about 17 minutes of failures with the sweeps' backoff. */
    public static final int AFTER_ATTEMPTS = 10;
    static final String BANK_REVOCATIONS = "accounts.stuck.bank.revocations";
    static final String CONSENT_ENDS = "accounts.stuck.consent.ends";

    private final AtomicLong bankRevocations = new AtomicLong();
    private final AtomicLong consentEnds = new AtomicLong();

    public StuckWork(MeterRegistry metrics) {
        Gauge.builder(BANK_REVOCATIONS, bankRevocations, AtomicLong::get)
                .description("ended links' bank tokens whose RevokeAccess failed " + AFTER_ATTEMPTS + " times or more")
                .register(metrics);
        Gauge.builder(CONSENT_ENDS, consentEnds, AtomicLong::get)
                .description("ended links whose consent could not be ended in consent-service after " + AFTER_ATTEMPTS
                        + " attempts or more")
                .register(metrics);
    }

    /** Logs a sweep's failed attempt at a row: a warning, or an error once the row counts as stuck. */
    static void failed(Logger log, String what, int failedAttempts, long retryInSeconds) {
        boolean stuck = failedAttempts >= AFTER_ATTEMPTS;
        log.logf(stuck ? Logger.Level.ERROR : Logger.Level.WARN, "%s (%d attempts so far%s); retrying in %ds", what,
                failedAttempts, stuck ? ": stuck, an operator should look" : "", retryInSeconds);
    }

    void bankRevocations(long stuck) {
        bankRevocations.set(stuck);
    }

    void consentEnds(long stuck) {
        consentEnds.set(stuck);
    }
}
