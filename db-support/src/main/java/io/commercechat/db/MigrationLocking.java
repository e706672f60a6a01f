package io.commercechat.db;

import io.quarkus.flyway.FlywayConfigurationCustomizer;
import jakarta.inject.Singleton;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * Flyway holds its migration lock as a session-level advisory lock instead of inside a transaction: an index built
 * CONCURRENTLY (chat-service's V13, account-link-service's V7, consent-service's V3) waits for every transaction open
 * when it starts, Flyway's own lock transaction included, and would wait for ever. Replicas starting together still
 * take the lock one after another.
 */
@Singleton
public class MigrationLocking implements FlywayConfigurationCustomizer {

    @Override
    public void customize(FluentConfiguration configuration) {
        configuration.getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
    }
}
