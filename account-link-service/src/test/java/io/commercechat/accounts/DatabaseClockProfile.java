package io.commercechat.accounts;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The service's database clock can be moved away from the JVM's (DatabaseClockSkew): Flyway also installs
 * db/clock-skew (test resources), and the service's reactive sessions find now() and clock_timestamp() in db_clock
 * before pg_catalog. The tests' own connections (MeshTestSupport.ownDb) keep PostgreSQL's clock.
 */
public class DatabaseClockProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "quarkus.flyway.locations", "db/migration,db/clock-skew",
                "quarkus.datasource.reactive.additional-properties.search_path",
                "public, " + DatabaseClockSkew.SCHEMA + ", pg_catalog");
    }
}
