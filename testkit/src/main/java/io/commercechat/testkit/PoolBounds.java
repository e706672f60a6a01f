package io.commercechat.testkit;

import java.time.Duration;
import java.util.Map;

/**
 * A service's reactive pool of one connection that one caller may wait for, for {@link #CONNECTION_WAIT} (db-support's
 * BoundedPool): the configuration each service's DatabasePoolBoundsTest starts with, before its own additions.
 */
public final class PoolBounds {

    public static final Duration CONNECTION_WAIT = Duration.ofSeconds(1);

    private PoolBounds() {}

    public static Map<String, String> oneConnectionOneWaiter() {
        return Map.of(
                "quarkus.datasource.reactive.max-size", "1",
                "commercechat.datasource.max-waiting", "1",
                "commercechat.datasource.connection-wait", CONNECTION_WAIT.toMillis() + "ms");
    }
}
