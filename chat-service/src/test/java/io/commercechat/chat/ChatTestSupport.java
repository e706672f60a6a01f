package io.commercechat.chat;

import static io.restassured.RestAssured.given;

import io.commercechat.proto.partner.v1.BusinessMessagingGrpc;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.ServiceLogs;
import io.commercechat.testkit.TestIssuer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Real HTTP and real gRPC to the service under test, with tokens from the test issuer. */
public abstract class ChatTestSupport {

    protected static final TestIssuer ISSUER = TestIssuer.get();
    protected static final String BANK = "sandbox-bank";
    protected static final String SHOP = "demo-shop";
    protected ManagedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcCalls.testPort()).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    protected BusinessMessagingGrpc.BusinessMessagingBlockingStub partner(String businessId) {
        return grpcAs(ISSUER.partner(businessId));
    }

    protected BusinessMessagingGrpc.BusinessMessagingBlockingStub grpcAs(String token) {
        return BusinessMessagingGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    protected static String newPerson() {
        return "person-" + UUID.randomUUID();
    }

    protected static RequestSpecification as(String sub) {
        return given().auth().oauth2(ISSUER.person(sub)).contentType(ContentType.JSON);
    }

    /** Opens (get-or-create) the person's conversation with a business; returns its id. */
    protected static String open(String sub, String businessId) {
        return as(sub).body(Map.of("businessId", businessId)).post("/v1/conversations").then()
                .statusCode(org.hamcrest.Matchers.anyOf(org.hamcrest.Matchers.is(200), org.hamcrest.Matchers.is(201)))
                .extract().path("id");
    }

    /** The first column of the first row of a query on the test database (0 when it has no row). */
    protected static long queryLong(String sql, Object... args) {
        try (Connection db = database(); PreparedStatement st = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setObject(i + 1, args[i]);
            }
            try (ResultSet r = st.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a statement on the test database; returns the rows it changed. */
    protected static int update(String sql, Object... args) {
        try (Connection db = database(); PreparedStatement st = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setObject(i + 1, args[i]);
            }
            return st.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The inbox's last position (0 when it has none yet). */
    protected static long inboxHead(String participant) {
        return queryLong("SELECT last_position FROM inbox_heads WHERE participant = ?", participant);
    }

    protected static Connection database() throws SQLException {
        Config config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }

    /** chat-service's log of this run (testkit ServiceLogs). */
    protected static String serviceLog() throws IOException {
        return ServiceLogs.thisRun("chat-service");
    }

    protected static ValidatableResponse send(String sub, String conversationId, String clientId, String text) {
        return as(sub).body(Map.of("clientMessageId", clientId, "text", text))
                .post("/v1/conversations/" + conversationId + "/messages").then();
    }
}
