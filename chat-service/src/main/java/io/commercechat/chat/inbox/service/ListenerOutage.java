package io.commercechat.chat.inbox.service;

import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * What the log says while this replica's LISTEN connection is down: its first failure at once, then at most one
 * warning per {@code chat.listen-outage-warning-interval} however often it is tried again (every second, for as long
 * as the database cannot be reached), and one line when it listens again. Per process, as the connection is.
 */
final class ListenerOutage {

    /** InboxFeed's category, where the listener's other lines are. */
    private static final Logger LOG = Logger.getLogger(InboxFeed.class);

    private final long warningIntervalNanos;
    private final Duration retriedEvery;
    private boolean down;
    private long since;
    private long lastWarning;
    private int failed;
    private int failedSinceWarning;

    ListenerOutage(Duration warningInterval, Duration retriedEvery) {
        this.warningIntervalNanos = warningInterval.toNanos();
        this.retriedEvery = retriedEvery;
    }

    /** The connection closed while it listened: it is reconnected, and is down until then. */
    synchronized void lost() {
        if (!down) {
            start("the connection closed");
        }
    }

    /** An attempt to connect failed; {@code cause} is null when the client does not tell it. */
    synchronized void failed(String cause) {
        if (!down) {
            start(cause);
            failed = 1;
            return;
        }
        failed++;
        failedSinceWarning++;
        long now = System.nanoTime();
        if (now - lastWarning >= warningIntervalNanos) {
            LOG.warnf("inbox LISTEN connection still down after %s: %d attempts failed since the last warning%s;"
                    + " streams poll meanwhile", lasted(now), failedSinceWarning, cause == null ? "" : " (last: " + cause + ")");
            lastWarning = now;
            failedSinceWarning = 0;
        }
    }

    /** The connection listens (again). */
    synchronized void listening() {
        if (down) {
            down = false;
            LOG.infof("inbox LISTEN connection listening again after %s down (%d attempts failed); every stream reads once",
                    lasted(System.nanoTime()), failed);
        }
    }

    private void start(String cause) {
        down = true;
        since = System.nanoTime();
        lastWarning = since;
        failed = 0;
        failedSinceWarning = 0;
        LOG.warnf("inbox LISTEN connection down (%s); streams poll meanwhile, and it is tried again every %s",
                cause == null ? "no reason given" : cause, retriedEvery);
    }

    private String lasted(long now) {
        return Duration.ofMillis((now - since) / 1_000_000).toString();
    }
}
