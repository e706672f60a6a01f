package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.commercechat.accounts.link.service.AccessEnding;
import io.commercechat.testkit.PostgresResource;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.scheduler.Trigger;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The sweep that tells the banks about the tokens of ended links (AccessEnding's revocations). */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class AccessEndingTest extends MeshTestSupport {

    /** What one run takes at most: AccessEnding's batches of 20, at most 25 of them. */
    private static final int ONE_RUN = 20 * 25;
    private static final Pattern CONFIRMED = Pattern.compile("confirmed the revocation of link ([0-9a-f-]{36})");

    @Inject
    AccessEnding ending;

    @Inject
    Scheduler scheduler;

    @Inject
    Vertx vertx;

    /** The bank tokens this test stored. */
    private final List<String> bankTokens = new ArrayList<>();

    /**
     * A backlog larger than one run's bound (a mass expiry) is revoked across runs: the first run stops after its
     * batches with the oldest due rows, the next takes the rest, and every token is revoked at the bank once. Before, a
     * run went on for as long as it found full batches, without end when rows kept coming due.
     */
    @Test
    void aBacklogLargerThanOneRunIsRevokedAcrossRuns() throws Exception {
        // the scheduled runs (every second in the tests) would share the backlog with the runs under test
        Trigger sweep = scheduler.getScheduledJobs().stream()
                .filter(t -> t.getMethodDescription().endsWith("AccessEnding#revokeDueAtBank")).findFirst().orElseThrow();
        scheduler.pause(sweep.getId());
        try {
            // a run it started before the pause may still be under way (slow right after the application's start) and
            // take from the backlog: an empty run is over within a few seconds
            Instant lastRun = scheduler.getScheduledJob(sweep.getId()).getPreviousFireTime();
            if (lastRun != null) {
                Thread.sleep(Math.max(0, Duration.between(Instant.now(), lastRun.plusSeconds(5)).toMillis()));
            }
            List<UUID> backlog = endedLinksWithTokensDue(ONE_RUN + 30);

            onVertxContext(vertx, () -> ending.revokeDue().replaceWith(true));

            // the oldest due are taken first: the first run revoked exactly those its bound allows, and left the rest
            assertEquals(backlog.subList(ONE_RUN, backlog.size()), stillPending(backlog), "what the first run left");

            onVertxContext(vertx, () -> ending.revokeDue().replaceWith(true));

            assertEquals(List.of(), stillPending(backlog), "the next run revoked the rest");
            String log = serviceLog();
            Map<String, Integer> confirmed = new HashMap<>();
            Matcher m = CONFIRMED.matcher(log);
            while (m.find()) {
                confirmed.merge(m.group(1), 1, Integer::sum);
            }
            for (UUID linkId : backlog) {
                assertEquals(1, confirmed.getOrDefault(linkId.toString(), 0), "the bank was told once about " + linkId);
            }
            assertFalse(bankTokens.stream().anyMatch(log::contains), "no token in the log");
        } finally {
            scheduler.resume(sweep.getId());
        }
    }

    /**
     * {@code count} links as AccessEnding leaves them when the bank could not be told at once: ended, their (sealed)
     * token pending revocation and due, the first listed longest. The tokens are unknown to the sandbox bank, which
     * answers RevokeAccess for them as for one it has revoked already (revoked false), as a bank answers a retry.
     */
    private List<UUID> endedLinksWithTokensDue(int count) throws Exception {
        String sub = newPerson();
        List<UUID> ids = IntStream.range(0, count).mapToObj(i -> UUID.randomUUID()).toList();
        try (Connection c = ownDb()) {
            c.setAutoCommit(false);
            try (PreparedStatement link = c.prepareStatement("INSERT INTO links (id, user_id, bank_id, consent_id, status,"
                    + " status_reason, permissions, purposes, redirect_uri, state_hash, state_used, state_expires_at,"
                    + " created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, 'LINK_STATUS_REVOKED', 'expired',"
                    + " 'PERMISSION_ACCOUNTS_BASIC', 'PURPOSE_ACCOUNT_OVERVIEW', ?, ?, true, now(), now(), now(),"
                    + " now() + interval '30 days')");
                    PreparedStatement token = c.prepareStatement("INSERT INTO bank_tokens (link_id, key_id, nonce,"
                            + " ciphertext, created_at, revoke_pending, revoke_reason, next_attempt_at)"
                            + " VALUES (?, ?, ?, ?, now(), true, 'expired', now() - interval '1 hour' + ? * interval '1 millisecond')")) {
                for (int i = 0; i < count; i++) {
                    UUID id = ids.get(i);
                    link.setObject(1, id);
                    link.setString(2, sub);
                    link.setString(3, BANK);
                    link.setObject(4, UUID.randomUUID());
                    link.setString(5, REDIRECT);
                    link.setString(6, UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", ""));
                    link.addBatch();
                    String bankToken = "access-" + UUID.randomUUID();
                    bankTokens.add(bankToken);
                    SECRETS.add(bankToken);
                    TokenRow sealed = encrypt(id, "k2", bankToken);
                    token.setObject(1, id);
                    token.setString(2, sealed.keyId());
                    token.setBytes(3, sealed.nonce());
                    token.setBytes(4, sealed.ciphertext());
                    token.setInt(5, i);
                    token.addBatch();
                }
                link.executeBatch();
                token.executeBatch();
            }
            c.commit();
        }
        return ids;
    }

    /** Those of {@code links} whose token is still to be revoked, in their order. */
    private static List<UUID> stillPending(List<UUID> links) throws Exception {
        List<UUID> pending = new ArrayList<>();
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement(
                "SELECT link_id FROM bank_tokens WHERE link_id = ANY (?) AND revoke_pending")) {
            s.setArray(1, c.createArrayOf("uuid", links.toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    pending.add(r.getObject(1, UUID.class));
                }
            }
        }
        return links.stream().filter(pending::contains).toList();
    }
}
