package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.db.MigrationLocking;
import io.commercechat.testkit.PostgresResource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;

/**
 * V11 on a database that already holds several ACTIVE links of one person to one bank (made before it): each keeps one,
 * the others end as the application ends a replaced link, and from then on the index refuses a second ACTIVE link.
 */
class OneLinkPerBankMigrationTest {

    private static final Instant NOW = Instant.now();

    @Test
    void duplicatesMadeBeforeAreEndedAsAReplacementEndsThemAndNoMoreCanBeMade() throws Exception {
        PostgresResource.Server pg = PostgresResource.server();
        String db = "links_v11_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        PostgresResource.createDatabase(pg, db);
        String url = pg.jdbcUrl(db);
        migrate(url, pg, "10");
        UUID older;
        UUID newer;
        UUID expired;
        UUID unexpiredButOlder;
        UUID alone;
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) {
            // u1: two live links, the later one stays
            older = link(c, "u1", NOW.minus(Duration.ofHours(2)), NOW.plus(Duration.ofDays(30)));
            newer = link(c, "u1", NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(30)));
            // u2: the later one is already past its expiry (its EXPIRED event not handled yet): the unexpired one stays
            expired = link(c, "u2", NOW.minus(Duration.ofHours(1)), NOW.minus(Duration.ofMinutes(5)));
            unexpiredButOlder = link(c, "u2", NOW.minus(Duration.ofHours(2)), NOW.plus(Duration.ofDays(30)));
            alone = link(c, "u3", NOW.minus(Duration.ofHours(3)), NOW.plus(Duration.ofDays(30)));
        }
        migrate(url, pg, "11");
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) {
            for (UUID kept : new UUID[] {newer, unexpiredButOlder, alone}) {
                Map<String, Object> l = row(c, kept);
                assertEquals("LINK_STATUS_ACTIVE", l.get("status"), kept + ": " + l);
                assertEquals(false, l.get("revoke_pending"), kept + ": " + l);
                assertTrue(l.get("masked_number") != null, kept + ": " + l);
            }
            Map<String, Object> replaced = row(c, older);
            assertEquals("LINK_STATUS_REVOKED", replaced.get("status"), replaced.toString());
            assertEquals("replaced by your newer link to this bank", replaced.get("status_reason"));
            assertTrue(replaced.get("consent_end_due_at") != null, "its consent's end is due: " + replaced);
            assertEquals(true, replaced.get("revoke_pending"), "its token is due for revocation at the bank");
            assertNull(replaced.get("masked_number"), "its accounts' bank data erased");
            Map<String, Object> ended = row(c, expired);
            assertEquals("LINK_STATUS_EXPIRED", ended.get("status"), ended.toString());
            assertEquals("the consent expired", ended.get("status_reason"));
            assertNull(ended.get("consent_end_due_at"), "its consent expires in consent-service: " + ended);
            assertEquals(true, ended.get("revoke_pending"));
            assertNull(ended.get("masked_number"));
            SQLException twice = assertThrows(SQLException.class,
                    () -> link(c, "u1", NOW, NOW.plus(Duration.ofDays(30))));
            assertEquals("23505", twice.getSQLState(), twice.getMessage());
            assertTrue(twice.getMessage().contains("links_one_active_per_bank_idx"), twice.getMessage());
        }
    }

    private static void migrate(String url, PostgresResource.Server pg, String target) {
        FluentConfiguration flyway = Flyway.configure().dataSource(url, pg.user(), pg.password())
                .locations("classpath:db/migration").target(target);
        new MigrationLocking().customize(flyway);  // as the service migrates (V7 builds an index CONCURRENTLY)
        flyway.load().migrate();
    }

    /** An ACTIVE link of {@code user} to the sandbox bank, with one account and a stored token. */
    private static UUID link(Connection c, String user, Instant activated, Instant expires) throws SQLException {
        UUID id = UUID.randomUUID();
        try (PreparedStatement l = c.prepareStatement("INSERT INTO links (id, user_id, bank_id, consent_id, status,"
                + " permissions, purposes, redirect_uri, state_hash, state_expires_at, bank_link_id, created_at, updated_at,"
                + " expires_at) VALUES (?, ?, 'sandbox-bank', ?, 'LINK_STATUS_ACTIVE', 'ACCOUNTS_BASIC', 'ACCOUNT_OVERVIEW',"
                + " 'https://chat.example/linked', ?, ?, ?, ?, ?, ?)")) {
            l.setObject(1, id);
            l.setString(2, user);
            l.setObject(3, UUID.randomUUID());
            l.setString(4, id.toString().replace("-", ""));
            l.setTimestamp(5, Timestamp.from(activated));
            l.setString(6, "bank-" + id);
            l.setTimestamp(7, Timestamp.from(activated));
            l.setTimestamp(8, Timestamp.from(activated));
            l.setTimestamp(9, Timestamp.from(expires));
            l.executeUpdate();
        }
        try (PreparedStatement a = c.prepareStatement("INSERT INTO linked_accounts (id, link_id, position, bank_account_id,"
                + " display_name, type, currency, masked_number) VALUES (?, ?, 0, 'acc-1', 'Current account', 'CURRENT',"
                + " 'GBP', '•••• 1234')");
                PreparedStatement t = c.prepareStatement("INSERT INTO bank_tokens (link_id, key_id, nonce, ciphertext,"
                        + " created_at) VALUES (?, 'k1', '\\x00'::bytea, '\\x00'::bytea, now())")) {
            a.setObject(1, UUID.randomUUID());
            a.setObject(2, id);
            a.executeUpdate();
            t.setObject(1, id);
            t.executeUpdate();
        }
        return id;
    }

    private static Map<String, Object> row(Connection c, UUID link) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT l.status, l.status_reason, l.consent_end_due_at,"
                + " t.revoke_pending, a.masked_number FROM links l JOIN bank_tokens t ON t.link_id = l.id"
                + " JOIN linked_accounts a ON a.link_id = l.id WHERE l.id = ?")) {
            q.setObject(1, link);
            try (ResultSet r = q.executeQuery()) {
                assertTrue(r.next(), "link " + link);
                Map<String, Object> out = new HashMap<>();
                for (String col : new String[] {"status", "status_reason", "consent_end_due_at", "revoke_pending", "masked_number"}) {
                    out.put(col, r.getObject(col));
                }
                return out;
            }
        }
    }
}
