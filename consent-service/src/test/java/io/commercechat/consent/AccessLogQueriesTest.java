package io.commercechat.consent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A person's access log filtered to one consent is read through an index that holds the consent (V3), not by walking
 * every record of the person: they grow with every bank read and are kept. The query is AccessRecordRepository.page's
 * with a consent, on the migrated schema, with as many records of one person as a year of reading gives.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(ReceiptKeyResource.class)
class AccessLogQueriesTest extends ConsentTestSupport {

    @Test
    void aPageOfOneConsentsRecordsDoesNotWalkThePersonsWholeLog() throws Exception {
        String person = "access-log-" + UUID.randomUUID();
        try (Connection db = database(); Statement s = db.createStatement()) {
            // 20,000 records of one person over ten consents
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO access_records (id, user_id, bank_id,"
                    + " consent_id, service, permission, purpose, decision, reason, occurred_at)"
                    + " SELECT gen_random_uuid(), ?, 'sandbox-bank', ('00000000-0000-0000-0000-00000000000' || (g % 10))::uuid,"
                    + " 'account-link-service', 'PERMISSION_BALANCES', 'PURPOSE_ACCOUNT_OVERVIEW', 'ACCESS_DECISION_ALLOWED',"
                    + " 'consent is authorised', now() FROM generate_series(1, 20000) g")) {
                insert.setString(1, person);
                insert.executeUpdate();
            }
            s.execute("ANALYZE access_records");
            String plan;
            try (PreparedStatement explain = db.prepareStatement("EXPLAIN (FORMAT JSON) SELECT * FROM access_records"
                    + " WHERE user_id = ? AND consent_id = ? AND list_seq < ? ORDER BY list_seq DESC LIMIT 50")) {
                explain.setString(1, person);
                explain.setObject(2, UUID.randomUUID());  // one that matches nothing: the worst case before V3
                explain.setLong(3, Long.MAX_VALUE);
                try (ResultSet r = explain.executeQuery()) {
                    r.next();
                    plan = r.getString(1);
                }
            }
            assertTrue(plan.contains("\"Index Name\": \"access_records_user_consent_idx\""), plan);
        }
    }
}
