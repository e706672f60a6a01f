package io.commercechat.consent;

import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.CreateConsentRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.testkit.GrpcCalls;
import io.commercechat.testkit.TestIssuer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
        return ConsentServiceGrpc.newBlockingStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    protected ConsentServiceGrpc.ConsentServiceBlockingStub service() {
        return as(ISSUER.service("account-link-service"));
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
