package io.commercechat.consent;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The sweep runs only when a test calls it (ConsentSweep.sweepOnce), and the database's clock can be moved away from
 * the JVM's (DatabaseClockSkew).
 */
public class SweepOnDemand implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "consent.sweep-interval", "off",
                // a sweep that waited for a row someone holds before ending the others would wait this long, well past
                // what the tests allow it; and its second look at the held rows is still waiting when a test frees them
                "consent.row-lock-timeout", "PT20S",
                // the service's sessions find now() and clock_timestamp() in db_clock first (DatabaseClockSkew)
                "quarkus.datasource.reactive.additional-properties.search_path", "public, " + DatabaseClockSkew.SCHEMA + ", pg_catalog");
    }
}
