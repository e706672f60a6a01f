package io.commercechat.accounts;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.accounts.link.service.AbandonedCompletions;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.testkit.PostgresResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whether a link (or its authorisation, or its completion) is past its time is decided by the database's clock, whatever
 * the clock of the replica that decides: the database's clock is moved an hour (or minutes) away from the JVM's
 * (DatabaseClockSkew), far more than replicas drift, so that a decision by the JVM's clock cannot pass for one by the
 * database's, in either direction.
 */
@QuarkusTest
@TestProfile(DatabaseClockProfile.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class LinkClockTest extends MeshTestSupport {

    @Inject
    AbandonedCompletions abandonedCompletions;

    @Inject
    Vertx vertx;

    @BeforeEach
    @AfterEach
    void databaseClockAsPostgresKeepsIt() throws Exception {
        DatabaseClockSkew.setAhead(Duration.ZERO);
    }

    /**
     * The database's clock is an hour ahead of this replica's, and the link expired a second ago by it (in 59 minutes by
     * the JVM's): GetLink and ListLinks show it EXPIRED, without its accounts.
     */
    @Test
    void aLinkPastItsExpiryByTheDatabaseClockIsExpiredWhenTheReplicaClockIsBehind() throws Exception {
        String sub = newPerson();
        Link link = linkAccount(sub);
        assertTrue(link.getAccountsCount() > 0);

        DatabaseClockSkew.setAhead(Duration.ofHours(1));
        expiresAt(link, Duration.ofSeconds(-1));
        assertShown(sub, link, LinkStatus.LINK_STATUS_EXPIRED, 0);
    }

    /**
     * The database's clock is an hour behind this replica's, and the link expires in ten minutes by it (it expired 50
     * minutes ago by the JVM's): it is shown ACTIVE, with its accounts.
     */
    @Test
    void aLinkLiveByTheDatabaseClockIsActiveWhenTheReplicaClockIsAhead() throws Exception {
        String sub = newPerson();
        Link link = linkAccount(sub);

        DatabaseClockSkew.setAhead(Duration.ofHours(-1));
        expiresAt(link, Duration.ofMinutes(10));
        assertShown(sub, link, LinkStatus.LINK_STATUS_ACTIVE, link.getAccountsCount());
    }

    /**
     * Linking the bank again ends the earlier link as EXPIRED only when it is past its expiry by the database's clock
     * (an hour ahead: expired a second ago; in 59 minutes by the JVM's), and as REVOKED, replaced, when it is not (an hour
     * behind: it expires in ten minutes; 50 minutes ago by the JVM's).
     */
    @Test
    void linkingTheBankAgainEndsTheEarlierLinkAsExpiredByTheDatabaseClock() throws Exception {
        String sub = newPerson();
        Link expired = linkAccount(sub);
        DatabaseClockSkew.setAhead(Duration.ofHours(1));
        expiresAt(expired, Duration.ofSeconds(-1));
        linkAccount(sub);
        assertStored(expired, "LINK_STATUS_EXPIRED", "the consent expired");

        String other = newPerson();
        Link live = linkAccount(other);
        DatabaseClockSkew.setAhead(Duration.ofHours(-1));
        expiresAt(live, Duration.ofMinutes(10));
        linkAccount(other);
        assertStored(live, "LINK_STATUS_REVOKED", "replaced by your new link to Sandbox Bank");
    }

    /**
     * The authorisation window (15 minutes) is set and judged by the database's clock: 20 minutes later by it (a moment
     * later by the JVM's), CompleteLink finds the authorisation expired; begun and completed with the database's clock an
     * hour ahead, the link completes (a window set by the JVM's clock would have closed 45 minutes before, by the database's).
     */
    @Test
    void theAuthorisationWindowIsSetAndJudgedByTheDatabaseClock() throws Exception {
        String sub = newPerson();
        BeginLinkResponse begun = begin(sub);
        Map<String, String> back = atBank(begun.getAuthorisationUrl(), true);
        DatabaseClockSkew.setAhead(Duration.ofMinutes(20));
        var late = assertStatus(Status.Code.FAILED_PRECONDITION, () -> person(sub).completeLink(completion(back)));
        assertEquals("the authorisation expired: start the link again", late.getStatus().getDescription());
        assertEquals(LinkStatus.LINK_STATUS_FAILED, getLink(sub, begun.getLink().getId()).getStatus());

        DatabaseClockSkew.setAhead(Duration.ofHours(1));
        String ahead = newPerson();
        Link link = linkAccount(ahead);
        assertEquals(LinkStatus.LINK_STATUS_ACTIVE, getLink(ahead, link.getId()).getStatus());
    }

    /**
     * A completion counts as abandoned (accounts.abandoned-completion-after, 10 minutes) by the database's clock: claimed
     * a minute ago (claimedAMinuteAgo writes the claim; aCompletionInFlightIsClaimedByTheDatabaseClockAndLeftToFinish has
     * CompleteLink stamp it), with the database's clock then moved 10 minutes on, it is failed; claimed a minute ago by
     * a database clock an hour behind (61 minutes ago by the JVM's), it is left to finish.
     */
    @Test
    void aCompletionIsAbandonedByTheDatabaseClock() throws Exception {
        String sub = newPerson();
        Link abandoned = claimedAMinuteAgo(sub);
        DatabaseClockSkew.setAhead(Duration.ofMinutes(10));
        onVertxContext(vertx, abandonedCompletions::failAbandoned);
        Link failed = getLink(sub, abandoned.getId());
        assertEquals(LinkStatus.LINK_STATUS_FAILED, failed.getStatus());
        assertTrue(failed.getStatusReason().contains("could not be completed"), failed.getStatusReason());

        DatabaseClockSkew.setAhead(Duration.ofHours(-1));
        Link running = claimedAMinuteAgo(sub);
        onVertxContext(vertx, abandonedCompletions::failAbandoned);
        assertEquals(LinkStatus.LINK_STATUS_PENDING, getLink(sub, running.getId()).getStatus());
    }

    /**
     * CompleteLink stamps its claim by the database's clock too. The database's clock is an hour ahead of this replica's
     * (the replica's runs behind) and the bank takes 1.5 s to exchange the code: the claim is a moment old by the
     * database's clock, so a sweep meanwhile leaves the completion to finish, and the link becomes ACTIVE. Stamped by the
     * JVM's clock, the claim would look an hour old: another replica's sweep would fail the link and end its consent.
     */
    @Test
    void aCompletionInFlightIsClaimedByTheDatabaseClockAndLeftToFinish() throws Exception {
        String sub = newPerson();
        DatabaseClockSkew.setAhead(Duration.ofHours(1));
        BeginLinkResponse begun = begin(sub);
        Map<String, String> back = atBank(begun.getAuthorisationUrl(), true);
        UUID linkId = UUID.fromString(begun.getLink().getId());
        try {
            // under the 2 s bank deadline, so the exchange succeeds; long enough for the sweep to run while it waits
            assertEquals(200, sandboxHook("PUT", "/sandbox/faults",
                    "{\"rpc\":\"ExchangeCode\",\"latencyMillis\":1500,\"calls\":1}").statusCode());
            CompletableFuture<Link> completing = CompletableFuture.supplyAsync(
                    () -> person(sub).completeLink(completion(back)).getLink());
            await("CompleteLink claimed the state", Duration.ofSeconds(10), () -> claimAge(linkId) != null);
            Duration age = claimAge(linkId);
            assertTrue(age.abs().compareTo(Duration.ofSeconds(30)) < 0, "claimed " + age + " ago by the database's clock");

            onVertxContext(vertx, abandonedCompletions::failAbandoned);
            Link done = completing.get(20, TimeUnit.SECONDS);
            assertEquals(LinkStatus.LINK_STATUS_ACTIVE, done.getStatus(), done.getStatusReason());
        } finally {
            sandboxHook("DELETE", "/sandbox/faults", null);
        }
    }

    private static CompleteLinkRequest completion(Map<String, String> back) {
        return CompleteLinkRequest.newBuilder().setState(back.get("state")).setCode(back.get("code")).build();
    }

    /** What GetLink and ListLinks show of {@code link}. */
    private void assertShown(String sub, Link link, LinkStatus status, int accounts) {
        Link shown = getLink(sub, link.getId());
        assertEquals(status, shown.getStatus(), shown.getStatusReason());
        assertEquals(accounts, shown.getAccountsCount());
        Link listed = person(sub).listLinks(ListLinksRequest.getDefaultInstance()).getLinksList().stream()
                .filter(l -> l.getId().equals(link.getId())).findFirst().orElseThrow();
        assertEquals(status, listed.getStatus(), listed.getStatusReason());
        assertEquals(accounts, listed.getAccountsCount());
    }

    /** The link's copy of its consent's expiry, {@code fromDatabaseNow} from the database's (moved) clock. */
    private static void expiresAt(Link link, Duration fromDatabaseNow) throws Exception {
        try (var c = ownDb(); var ps = c.prepareStatement("UPDATE links SET expires_at = " + DatabaseClockSkew.NOW
                + " + make_interval(secs => ?) WHERE id = ?")) {
            ps.setDouble(1, fromDatabaseNow.toMillis() / 1000.0);
            ps.setObject(2, UUID.fromString(link.getId()));
            assertEquals(1, ps.executeUpdate());
        }
    }

    private static void assertStored(Link link, String status, String reason) throws Exception {
        try (var c = ownDb(); var ps = c.prepareStatement("SELECT status, status_reason FROM links WHERE id = ?")) {
            ps.setObject(1, UUID.fromString(link.getId()));
            try (var r = ps.executeQuery()) {
                assertTrue(r.next());
                assertEquals(status, r.getString(1), r.getString(2));
                assertEquals(reason, r.getString(2));
            }
        }
    }

    /** How long ago the link's state was claimed, by the database's (moved) clock; null while it is not claimed. */
    private static Duration claimAge(UUID linkId) {
        try (var c = ownDb(); var ps = c.prepareStatement("SELECT extract(epoch from " + DatabaseClockSkew.NOW
                + " - claimed_at) FROM links WHERE id = ? AND claimed_at IS NOT NULL")) {
            ps.setObject(1, linkId);
            try (var r = ps.executeQuery()) {
                return r.next() ? Duration.ofMillis(Math.round(r.getDouble(1) * 1000)) : null;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A PENDING link as CompleteLink leaves it after claiming its state a minute ago by the database's (moved) clock. */
    private Link claimedAMinuteAgo(String sub) throws Exception {
        Link link = begin(sub).getLink();
        try (var c = ownDb(); var ps = c.prepareStatement("UPDATE links SET state_used = true, claimed_at = "
                + DatabaseClockSkew.NOW + " - interval '1 minute', updated_at = " + DatabaseClockSkew.NOW
                + " - interval '1 minute' WHERE id = ?")) {
            ps.setObject(1, UUID.fromString(link.getId()));
            assertEquals(1, ps.executeUpdate());
        }
        return link;
    }
}
