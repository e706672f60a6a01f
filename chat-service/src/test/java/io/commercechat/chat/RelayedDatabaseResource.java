package io.commercechat.chat;

import io.commercechat.testkit.PostgresResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The tests' PostgreSQL (a database of its own, as {@link PostgresResource} makes one) with chat-service's reactive
 * connections, the pool's and the LISTEN connection's, through a {@link TcpRelay} that a test can cut one connection
 * of. Flyway connects directly. Not with {@code COMMERCECHAT_TEST_PG_URL}: the relay reaches only this machine.
 */
public class RelayedDatabaseResource extends PostgresResource {

    /** The network between chat-service under test and PostgreSQL; null with an external server. */
    static TcpRelay relay;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        if (external()) {
            return config;
        }
        int port = server().port();
        try {
            relay = new TcpRelay(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String direct = config.get("quarkus.datasource.reactive.url");
        config.put("quarkus.datasource.reactive.url", direct.replace(":" + port + "/", ":" + relay.port() + "/"));
        return config;
    }

    /** After the PostgresResource every test has: this database and these URLs replace its. */
    @Override
    public int order() {
        return 1;
    }

    @Override
    public void stop() {
        if (relay != null) {
            try {
                relay.close();
            } catch (IOException e) {
                // its threads are daemons
            }
            relay = null;
        }
    }
}
