package io.commercechat.accounts.consentevents;

import io.commercechat.accounts.client.ConsentClient;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.Db;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.accounts.link.service.AccessEnding;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.ConsentEvent;
import io.commercechat.proto.consent.v1.WatchConsentEventsResponse;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Follows ConsentService.WatchConsentEvents so that a consent ending anywhere (revoked by the
 * person elsewhere, by the bank, or expired) ends the link here: RevokeAccess at the bank (retried
 * until it succeeds), token deleted, link REVOKED or EXPIRED. Exactly one replica consumes at a
 * time: it holds a PostgreSQL session advisory lock on a connection of its own, and stores its
 * position in that database after each event; handling is idempotent, so an event replayed after
 * a crash changes nothing.
 */
@ApplicationScoped
public class ConsentEventConsumer {

    static final String CONSUMER = "account-link-service";
    /** Arbitrary, fixed key of the advisory lock that elects the consuming replica. */
    public static final long LOCK_KEY = 0x4163634c696e6bL;
    private static final long MAX_PAUSE_MILLIS = 30_000;
    private static final Logger LOG = Logger.getLogger(ConsentEventConsumer.class);

    private final AccountsConfig config;
    private final Db db;
    private final ConsentClient consents;
    private final LinkRepository links;
    private final AccessEnding ending;
    private volatile boolean running;
    private volatile Context.CancellableContext stream;
    private Thread thread;
    /** Consecutive failures without a delivered event: the reconnect pause grows with them. */
    private int failures;

    public ConsentEventConsumer(AccountsConfig config, Db db, ConsentClient consents, LinkRepository links, AccessEnding ending) {
        this.config = config;
        this.db = db;
        this.consents = consents;
        this.links = links;
        this.ending = ending;
    }

    void start(@Observes StartupEvent event) {
        if (!config.consentEvents().enabled()) {
            return;
        }
        running = true;
        thread = new Thread(this::run, "consent-events");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        Context.CancellableContext s = stream;
        if (s != null) {
            s.cancel(null);
        }
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        while (running) {
            try (Connection lock = db.connection()) {
                lock.setAutoCommit(true);
                if (tryLock(lock)) {
                    try {
                        consume(lock);
                    } finally {
                        unlock(lock);
                    }
                }
            } catch (Exception e) {
                failures++;
                if (running && (failures == 1 || failures % 10 == 0)) {
                    LOG.warnf("consent event stream interrupted (%s, %d times in a row); reconnecting", describe(e), failures);
                }
            }
            pause();
        }
    }

    private void consume(Connection lock) throws Exception {
        long position = position(lock);
        LOG.debugf("consuming consent events after position %d", position);
        Context.CancellableContext ctx = Context.current().withCancellation();
        stream = ctx;
        try {
            ctx.call(() -> {
                Iterator<WatchConsentEventsResponse> events = consents.watch(position);
                while (running && events.hasNext()) {
                    ConsentEvent e = events.next().getEvent();
                    handle(e);
                    savePosition(lock, e.getPosition());
                    failures = 0;
                }
                return null;
            });
        } finally {
            ctx.cancel(null);
            stream = null;
        }
    }

    /** Idempotent: an event whose link already ended changes nothing. */
    void handle(ConsentEvent e) {
        UUID consentId;
        try {
            consentId = UUID.fromString(e.getConsent().getId());
        } catch (IllegalArgumentException notOurs) {
            return;
        }
        Optional<Link> link = links.findByConsent(consentId);
        if (link.isEmpty()) {
            return;
        }
        String reason = e.getConsent().getStatusReason();
        switch (e.getType()) {
            case CONSENT_EVENT_TYPE_REVOKED -> ending.end(link.get(), LinkStatus.LINK_STATUS_REVOKED,
                    reason.isEmpty() ? "access was revoked" : reason);
            case CONSENT_EVENT_TYPE_EXPIRED -> ending.end(link.get(), LinkStatus.LINK_STATUS_EXPIRED,
                    reason.isEmpty() ? "the consent expired" : reason);
            case CONSENT_EVENT_TYPE_REJECTED -> links.transition(link.get().id(), EnumSet.of(LinkStatus.LINK_STATUS_PENDING),
                    LinkStatus.LINK_STATUS_FAILED, reason.isEmpty() ? "the authorisation was not completed" : reason, Instant.now());
            default -> {
                // CREATED and AUTHORISED are this service's own doing.
            }
        }
    }

    private static boolean tryLock(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            s.setLong(1, LOCK_KEY);
            try (ResultSet r = s.executeQuery()) {
                return r.next() && r.getBoolean(1);
            }
        }
    }

    private static void unlock(Connection c) {
        // The connection goes back to the pool: release the session lock explicitly.
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_unlock_all()");
        } catch (SQLException ignored) {
            // a broken connection is discarded by the pool, and its session (and lock) ends with it
        }
    }

    private static long position(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT position FROM consent_event_positions WHERE consumer = ?")) {
            s.setString(1, CONSUMER);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getLong(1) : 0L;
            }
        }
    }

    private static void savePosition(Connection c, long position) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO consent_event_positions (consumer, position, updated_at) "
                + "VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET position = GREATEST(consent_event_positions.position, "
                + "EXCLUDED.position), updated_at = EXCLUDED.updated_at")) {
            s.setString(1, CONSUMER);
            s.setLong(2, position);
            s.setTimestamp(3, Timestamp.from(Instant.now()));
            s.executeUpdate();
        }
    }

    private void pause() {
        try {
            long base = config.consentEvents().reconnectDelay().toMillis();
            Thread.sleep(Math.min(MAX_PAUSE_MILLIS, base << Math.min(failures, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private static String describe(Exception e) {
        return e instanceof StatusRuntimeException s ? s.getStatus().getCode().name() : e.getClass().getSimpleName();
    }
}
