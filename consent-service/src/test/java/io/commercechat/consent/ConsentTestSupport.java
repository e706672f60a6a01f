package io.commercechat.consent;

import io.commercechat.consent.lifecycle.service.ConsentSweep;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.consent.v1.WatchConsentEventsRequest;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.TestIssuer;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.vertx.VertxContextSupport;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Real gRPC over the network to the service under test, with tokens from the test issuer. */
abstract class ConsentTestSupport {

    protected static final TestIssuer ISSUER = TestIssuer.get();
    protected ManagedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    protected ConsentServiceGrpc.ConsentServiceBlockingStub as(String token) {
        return as(channel, token);
    }

    static ConsentServiceGrpc.ConsentServiceBlockingStub as(Channel channel, String token) {
        return ConsentServiceGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** The first event of the stream from the start (there is at least one), then the stream is closed. */
    static long firstWatchedPosition(ConsentServiceGrpc.ConsentServiceBlockingStub s) throws Exception {
        Context.CancellableContext ctx = Context.current().withCancellation();
        try {
            return ctx.call(() -> s.watchConsentEvents(WatchConsentEventsRequest.getDefaultInstance()).next())
                    .getEvent().getPosition();
        } finally {
            ctx.cancel(null);
        }
    }

    /** A JDBC connection to the service's own database, for what a test must see or change beneath the API. */
    protected static Connection database() throws SQLException {
        var c = ConfigProvider.getConfig();
        return DriverManager.getConnection(c.getValue("quarkus.datasource.jdbc.url", String.class),
                c.getValue("quarkus.datasource.username", String.class), c.getValue("quarkus.datasource.password", String.class));
    }

    /** Time passes: the consent's expiry is a second ago (nothing else changes, the sweep has not seen it). */
    protected static void expireNow(String consentId) throws SQLException {
        try (var c = database(); var ps = c.prepareStatement("update consents set expires_at = now() - interval '1 second' where id = ?::uuid")) {
            ps.setString(1, consentId);
            if (ps.executeUpdate() != 1) {
                throw new AssertionError("no consent " + consentId);
            }
        }
    }

    /**
     * Sweeps until a run finds nothing due (up to 10 runs: a run ends at most 500, and earlier tests may have left
     * consents that are due now).
     */
    protected static void sweepAll(ConsentSweep sweep) {
        for (int run = 0; run < 10 && sweepOnce(sweep) > 0; run++) {
            // again
        }
    }

    /**
     * One run of the sweep as a replica's scheduler runs it, on a Vert.x context of its own; returns how many consents
     * it ended. Two threads calling it at once are two replicas sweeping at once.
     */
    protected static int sweepOnce(ConsentSweep sweep) {
        try {
            return VertxContextSupport.subscribeAndAwait(sweep::sweepOnce);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Holds consent {@code consentId}'s row shared in {@code tx}, as a CheckAccess in flight does. */
    protected static void holdShared(Connection tx, String consentId) throws SQLException {
        try (var ps = tx.prepareStatement("select 1 from consents where id = ?::uuid for share")) {
            ps.setString(1, consentId);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new AssertionError("no consent " + consentId);
                }
            }
        }
    }

    /** A consent of {@code user}'s, created and authorised (the sandbox bank's account overview, balances). */
    protected String authorisedConsent(String user) {
        String id = service().createConsent(request(user).build()).getConsent().getId();
        service().authoriseConsent(authoriseRequest(id).build());
        return id;
    }

    /** The check before reading {@code user}'s balances of account acc-1 at the sandbox bank, for account overview. */
    protected static io.commercechat.proto.consent.v1.CheckAccessRequest balancesCheck(String user) {
        return io.commercechat.proto.consent.v1.CheckAccessRequest.newBuilder().setUserId(user).setBankId("sandbox-bank")
                .setAccountId("acc-1").setPermission(io.commercechat.proto.consent.v1.Permission.PERMISSION_BALANCES)
                .setPurpose(io.commercechat.proto.consent.v1.Purpose.PURPOSE_ACCOUNT_OVERVIEW).build();
    }

    /**
     * AuthoriseConsent as account-link-service sends it once the bank approved: the consent and its person (read from
     * the database; a consent that is not there gets a person of its own).
     */
    protected static io.commercechat.proto.consent.v1.AuthoriseConsentRequest.Builder authoriseRequest(String consentId) {
        String owner = "nobody-" + java.util.UUID.randomUUID();
        try (var c = database(); var ps = c.prepareStatement("select user_id from consents where id = ?::uuid")) {
            ps.setString(1, consentId);
            try (var rs = ps.executeQuery()) {
                if (rs.next()) {
                    owner = rs.getString(1);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return io.commercechat.proto.consent.v1.AuthoriseConsentRequest.newBuilder().setConsentId(consentId).setUserId(owner);
    }

    /** The status stored for a consent (what the sweep and the state changes wrote), or null when there is none. */
    protected static String storedStatus(String consentId) throws SQLException {
        try (var c = database(); var ps = c.prepareStatement("select status from consents where id = ?::uuid")) {
            ps.setString(1, consentId);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** How many events of {@code type} the log holds for a consent. */
    protected static long eventsOf(String consentId, io.commercechat.proto.consent.v1.ConsentEventType type) throws SQLException {
        try (var c = database(); var ps = c.prepareStatement("select count(*) from consent_events where consent_id = ?::uuid and type = ?")) {
            ps.setString(1, consentId);
            ps.setString(2, type.name());
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** A service granted every RPC in the test profile, to set up anyone's consents (the real grants: ConsentCallersTest). */
    protected ConsentServiceGrpc.ConsentServiceBlockingStub service() {
        return as(ISSUER.service("test-fixture"));
    }

    protected static String newPerson() {
        return "person-" + UUID.randomUUID();
    }

    protected static CreateConsentRequest.Builder request(String userId) {
        return CreateConsentRequest.newBuilder().setUserId(userId).setBankId("sandbox-bank")
                .addPermissions(Permission.PERMISSION_ACCOUNTS_BASIC).addPermissions(Permission.PERMISSION_BALANCES)
                .addPurposes(Purpose.PURPOSE_ACCOUNT_OVERVIEW).setValidDays(90);
    }
}
