package io.commercechat.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.PostgresResource;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pool's bounds, against a real PostgreSQL: what a caller meets when every connection is busy. */
class BoundedPoolTest {

    private Vertx vertx;
    private Pool pool;

    @BeforeEach
    void pool() {
        PostgresResource.Server server = PostgresResource.server();
        vertx = Vertx.vertx();
        PgConnectOptions database = new PgConnectOptions().setHost(server.host()).setPort(server.port())
                .setDatabase("postgres").setUser(server.user()).setPassword(server.password());
        // one connection, one caller may wait for it, for at most 600 ms
        pool = PgDriver.INSTANCE.createPool(vertx, List.of(database),
                BoundedPool.bounded(new PoolOptions().setMaxSize(1), 1, Duration.ofMillis(600)));
    }

    @AfterEach
    void close() throws Exception {
        pool.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aStatementBeyondTheWaitingOnesFailsAtOnceAndAWaitingOneWhenItsWaitRunsOut() throws Exception {
        callerBeyondTheWaitingOnesFailsAtOnceAndAWaiterWhenItsWaitRunsOut(this::selectOne);
    }

    @Test
    void aConnectionAskedForBeyondTheWaitingOnesFailsAtOnceAndAWaitingOneWhenItsWaitRunsOut() throws Exception {
        // as Hibernate Reactive asks for one
        callerBeyondTheWaitingOnesFailsAtOnceAndAWaiterWhenItsWaitRunsOut(
                () -> pool.getConnection().toCompletionStage().toCompletableFuture());
    }

    private void callerBeyondTheWaitingOnesFailsAtOnceAndAWaiterWhenItsWaitRunsOut(Supplier<CompletableFuture<?>> caller)
            throws Exception {
        SqlConnection held = pool.getConnection().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        long start = System.nanoTime();
        CompletableFuture<?> waiter = caller.get();
        Thread.sleep(100);  // the waiter is queued first
        CompletableFuture<?> beyond = caller.get();

        ExecutionException refused = assertThrows(ExecutionException.class, () -> beyond.get(300, TimeUnit.MILLISECONDS),
                "the queue is full: refused at once");
        assertTrue(DatabaseOutages.poolBusy(refused), refused.getCause().toString());
        assertTrue(DatabaseOutages.passing(refused));
        assertFalse(DatabaseOutages.connectionLost(refused), "nothing reached the database");
        assertFalse(waiter.isDone(), "the waiter is still within its wait");

        ExecutionException timedOut = assertThrows(ExecutionException.class, () -> waiter.get(5, TimeUnit.SECONDS));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(DatabaseOutages.poolBusy(timedOut), timedOut.getCause().toString());
        assertTrue(waited >= 550 && waited < 3_000, "waited " + waited + " ms for a 600 ms wait");

        held.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(1, selectOne().get(10, TimeUnit.SECONDS), "the pool serves again once a connection is free");
    }

    @Test
    void quarkusOptionsOtherThanTheWaitAreKept() {
        PoolOptions quarkus = new PoolOptions().setMaxSize(20).setIdleTimeout(7).setIdleTimeoutUnit(TimeUnit.MINUTES)
                .setMaxLifetime(1).setMaxLifetimeUnit(TimeUnit.HOURS).setEventLoopSize(3).setShared(true).setName("chat");
        PoolOptions bounded = BoundedPool.bounded(quarkus, 1000, Duration.ofSeconds(5));
        assertEquals(20, bounded.getMaxSize());
        assertEquals(7, bounded.getIdleTimeout());
        assertEquals(TimeUnit.MINUTES, bounded.getIdleTimeoutUnit());
        assertEquals(1, bounded.getMaxLifetime());
        assertEquals(3, bounded.getEventLoopSize());
        assertTrue(bounded.isShared());
        assertEquals("chat", bounded.getName());
        assertEquals(1000, bounded.getMaxWaitQueueSize());
        assertEquals(5_000, bounded.getConnectionTimeoutUnit().toMillis(bounded.getConnectionTimeout()));
        assertEquals(-1, quarkus.getMaxWaitQueueSize(), "Quarkus's own options are left as they were");
    }

    private CompletableFuture<Integer> selectOne() {
        return pool.query("SELECT 1").execute().map(rows -> rows.iterator().next().getInteger(0))
                .toCompletionStage().toCompletableFuture();
    }
}
