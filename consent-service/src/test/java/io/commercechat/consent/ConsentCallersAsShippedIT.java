package io.commercechat.consent;

import static io.commercechat.consent.ConsentTestSupport.as;
import static io.commercechat.consent.ConsentTestSupport.balancesCheck;
import static io.commercechat.consent.ConsentTestSupport.firstWatchedPosition;
import static io.commercechat.consent.ConsentTestSupport.newPerson;
import static io.commercechat.consent.ConsentTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.AuthoriseConsentRequest;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc.ConsentServiceBlockingStub;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.commercechat.proto.consent.v1.RejectConsentRequest;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.commercechat.proto.consent.v1.VerifyEventLogRequest;
import io.commercechat.testkit.ServiceProcess;
import io.commercechat.testkit.TestIssuer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Least privilege for services with the caller lists consent-service ships (consent.callers.* in application.properties,
 * which the tests' own profile replaces): the packaged jar in the production profile, called over gRPC by each service
 * of the mesh with its own token. Every service a list does not name is refused; those it names are served. The lists
 * are the designed ones (README "Decisions", k8s/base/config.yaml CONSENT_CALLERS_*), so a shipped line that grants more
 * (chat-service checking access for anyone, say) or less fails here. What a refusal does: ConsentCallersTest.
 */
class ConsentCallersAsShippedIT {

    private static final TestIssuer ISSUER = TestIssuer.get();
    private static final String ACCOUNT_LINK = "account-link-service";
    private static final String CHAT = "chat-service";
    /** Its own client: operators verify the event log with it. */
    private static final String CONSENT = "consent-service";
    /** The service clients of the realm (identity). */
    private static final List<String> SERVICES = List.of(ACCOUNT_LINK, CHAT, CONSENT);
    private static final String OWNER = newPerson();

    private static ServiceProcess consent;
    private static ManagedChannel channel;

    @FunctionalInterface
    private interface Call {
        Object on(ConsentServiceBlockingStub service) throws Exception;
    }

    /** An RPC, the consent.callers.* list that grants it, the services the design puts on that list, and a call. */
    private record Rpc(String name, String grant, Set<String> designed, Call call) {}

    private static List<Rpc> rpcs() {
        return List.of(
                // nobody: people's tokens are forwarded for these (consent.callers.act-for-person is not shipped)
                new Rpc("CreateConsent", "act-for-person", Set.of(), s -> s.createConsent(request(OWNER).build())),
                new Rpc("GetConsent", "act-for-person", Set.of(),
                        s -> s.getConsent(GetConsentRequest.newBuilder().setConsentId(pending()).build())),
                new Rpc("ListConsents", "act-for-person", Set.of(),
                        s -> s.listConsents(ListConsentsRequest.newBuilder().setUserId(OWNER).build())),
                new Rpc("GetReceipt", "act-for-person", Set.of(), s -> s.getReceipt(GetReceiptRequest.newBuilder()
                        .setConsentId(pending()).setKind(ReceiptKind.RECEIPT_KIND_AUTHORISATION).build())),
                new Rpc("ListAccessRecords", "act-for-person", Set.of(),
                        s -> s.listAccessRecords(ListAccessRecordsRequest.newBuilder().setUserId(OWNER).build())),
                new Rpc("AuthoriseConsent", "authorise-consents", Set.of(ACCOUNT_LINK), s -> s.authoriseConsent(
                        AuthoriseConsentRequest.newBuilder().setConsentId(pending()).setUserId(OWNER).build())),
                new Rpc("RejectConsent", "end-consents", Set.of(ACCOUNT_LINK), s -> s.rejectConsent(
                        RejectConsentRequest.newBuilder().setConsentId(pending()).setReason("the link failed").build())),
                new Rpc("RevokeConsent", "end-consents", Set.of(ACCOUNT_LINK), s -> s.revokeConsent(
                        RevokeConsentRequest.newBuilder().setConsentId(authorised()).setRevokedBy(Actor.ACTOR_BANK).build())),
                new Rpc("CheckAccess", "check-access", Set.of(ACCOUNT_LINK), s -> s.checkAccess(balancesCheck(OWNER))),
                new Rpc("WatchConsentEvents", "watch-events", Set.of(ACCOUNT_LINK, CHAT), s -> firstWatchedPosition(s)),
                new Rpc("GetReceiptKeys", "receipt-keys", Set.of(CHAT),
                        s -> s.getReceiptKeys(GetReceiptKeysRequest.getDefaultInstance())),
                new Rpc("VerifyEventLog", "verify-event-log", Set.of(CONSENT),
                        s -> s.verifyEventLog(VerifyEventLogRequest.getDefaultInstance())));
    }

    @BeforeAll
    static void startAsShipped() {
        // the environment would replace a shipped list (CONSENT_CALLERS_CHECK_ACCESS: consent.callers.check-access) or
        // the profile, and the process inherits it
        assertEquals(List.of(), System.getenv().keySet().stream()
                .filter(name -> name.contains("CONSENT_CALLERS") || name.equals("QUARKUS_PROFILE")).sorted().toList(),
                "variables that would stand in for the shipped configuration");
        consent = ServiceProcess.start("consent-service", PackagedConsentService.config(ReceiptKeyResource.privateJwk(), null));
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", consent.port()).usePlaintext().build();
        pending(); // an event for the watchers to find
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (consent != null) {
            consent.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> eachServiceReachesWhatItsListsNameItForAndNothingElse() {
        return rpcs().stream().flatMap(rpc -> SERVICES.stream().map(service -> rpc.designed().contains(service)
                ? DynamicTest.dynamicTest(service + " may call " + rpc.name(), () -> served(service, rpc))
                : DynamicTest.dynamicTest(service + " may not call " + rpc.name(), () -> refused(service, rpc))));
    }

    private static void refused(String service, Rpc rpc) {
        try {
            call(service, rpc);
        } catch (StatusRuntimeException e) {
            String why = e.getStatus().getDescription();
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), service + " " + rpc.name() + ": " + why);
            assertTrue(why.contains(service) && why.contains(rpc.name()) && why.contains("consent.callers." + rpc.grant()), why);
            return;
        }
        fail(service + " called " + rpc.name() + " with its own token: consent.callers." + rpc.grant()
                + " names it, the design does not");
    }

    private static void served(String service, Rpc rpc) {
        try {
            call(service, rpc);
        } catch (StatusRuntimeException e) {
            fail(service + " is on consent.callers." + rpc.grant() + " by design, but " + rpc.name() + " failed: " + e.getStatus());
        }
    }

    private static void call(String service, Rpc rpc) {
        try {
            rpc.call().on(as(channel, ISSUER.service(service)));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A consent of the owner's awaiting authorisation, created with the owner's token as a service forwards it. */
    private static String pending() {
        return as(channel, ISSUER.person(OWNER)).createConsent(request(OWNER).build()).getConsent().getId();
    }

    private static String authorised() {
        String id = pending();
        as(channel, ISSUER.service(ACCOUNT_LINK)).authoriseConsent(AuthoriseConsentRequest.newBuilder().setConsentId(id)
                .setUserId(OWNER).build());
        return id;
    }
}
