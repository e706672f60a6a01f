package io.commercechat.db;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The reactive datasource's pool, as Quarkus would make it, but with a bounded wait for a connection. Vert.x queues
 * callers without limit and lets each wait 30 s: under overload every request would queue, hold its memory and
 * answer late or not at all. Here at most {@code commercechat.datasource.max-waiting} callers wait, each at most
 * {@code commercechat.datasource.connection-wait}; beyond either the caller fails at once with a failure
 * {@link DatabaseOutages#poolBusy} recognises, which every edge answers as unavailable (503, gRPC UNAVAILABLE).
 */
@Singleton
public class BoundedPool implements PgPoolCreator {

    private final int maxWaiting;
    private final Duration connectionWait;

    BoundedPool(@ConfigProperty(name = "commercechat.datasource.max-waiting", defaultValue = "1000") int maxWaiting,
            @ConfigProperty(name = "commercechat.datasource.connection-wait", defaultValue = "5s") Duration connectionWait) {
        if (maxWaiting < 1 || connectionWait.toMillis() < 1) {
            throw new IllegalArgumentException("commercechat.datasource.max-waiting and connection-wait must be positive");
        }
        this.maxWaiting = maxWaiting;
        this.connectionWait = connectionWait;
    }

    @Override
    public Pool create(Input input) {
        return PgDriver.INSTANCE.createPool(input.vertx(), input.pgConnectOptionsList(),
                bounded(input.poolOptions(), maxWaiting, connectionWait));
    }

    /** Quarkus's options (size, idle timeout, lifetime, event loops from its configuration) with the wait bounded. */
    static PoolOptions bounded(PoolOptions quarkus, int maxWaiting, Duration connectionWait) {
        return new PoolOptions(quarkus).setMaxWaitQueueSize(maxWaiting)
                .setConnectionTimeout(Math.toIntExact(connectionWait.toMillis())).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    }
}
