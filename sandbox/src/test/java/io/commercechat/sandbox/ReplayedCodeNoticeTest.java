package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replayed code ends the link it granted at the bank (RFC 6749 section 10.5), and the bank tells the platform through
 * PartnerLinkEvents.NotifyAccessRevoked, as for any revocation at the bank, without making the replay's answer wait for
 * it. The notice is repeated while the platform is unreachable, a bounded number of times (tests: 3 repeats, 100 to
 * 400 ms apart), and never after an answer, NOT_FOUND included (a link the platform never learned).
 */
@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class ReplayedCodeNoticeTest extends SandboxTestSupport {

    /** Longer than every repeat the test configuration allows, jitter included. */
    private static final long QUIET_MILLIS = 2500;

    @AfterEach
    void platformAsUsual() {
        FakePlatform.UNAVAILABLE_REVOCATIONS.set(0);
        FakePlatform.UNKNOWN_BANK_LINKS.clear();
    }

    @Test
    void aReplayedCodeTellsThePlatformOnceAsTheBankWithTheReason() throws Exception {
        Replayed replayed = linkAndReplay();
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(replayed.link().getAccessToken()).build()));

        FakePlatform.Received<NotifyAccessRevokedRequest> notice = platformToldOf(replayed.bankLinkId(), 1).get(0);
        assertTrue(notice.request().getReason().contains("used a second time"), notice.request().getReason());
        assertTrue(notice.request().getReason().length() <= 200, "the contract's limit");
        assertTrue(Math.abs(notice.request().getOccurredAt().getSeconds() - Instant.now().getEpochSecond()) < 60);
        FakePlatform.assertPartnerToken(notice.authorization(), "sandbox-bank");

        // the code presented once more: refused again, but the link had ended, so nothing new to tell
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(replayed.exchange()));
        Thread.sleep(QUIET_MILLIS);
        assertEquals(1, FakePlatform.revocationsOf(replayed.bankLinkId()).size());
    }

    @Test
    void aPlatformThatIsDownIsToldOnceItIsBack() throws Exception {
        FakePlatform.UNAVAILABLE_REVOCATIONS.set(2);
        Replayed replayed = linkAndReplay();
        platformToldOf(replayed.bankLinkId(), 3);
        Thread.sleep(QUIET_MILLIS);
        assertEquals(3, FakePlatform.revocationsOf(replayed.bankLinkId()).size(), "no repeat after the platform answered");
    }

    @Test
    void aPlatformThatStaysDownIsNotAskedForever() throws Exception {
        FakePlatform.UNAVAILABLE_REVOCATIONS.set(1000);
        Replayed replayed = linkAndReplay();
        platformToldOf(replayed.bankLinkId(), 4);  // the first attempt and 3 repeats
        Thread.sleep(QUIET_MILLIS);
        assertEquals(4, FakePlatform.revocationsOf(replayed.bankLinkId()).size(), "the bank gave up");
    }

    /**
     * account-link-service presents a code again when it lost the exchange's answer, and so never learned the link's id:
     * it answers NOT_FOUND, which is final (not a failure to repeat).
     */
    @Test
    void aLinkThePlatformNeverLearnedIsNotifiedOnceAndNotRepeated() throws Exception {
        String state = "state-" + UUID.randomUUID();
        String code = approve(begin(state).getAuthorisationId(), "cust-alan", List.of("alan-current")).get("code");
        ExchangeCodeRequest exchange = exchange(code);
        String bankLinkId = bank().exchangeCode(exchange).getBankLinkId();  // as if this answer were lost
        FakePlatform.UNKNOWN_BANK_LINKS.add(bankLinkId);

        var again = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(exchange));
        assertEquals("authorisation code was already used", again.getStatus().getDescription());
        platformToldOf(bankLinkId, 1);
        Thread.sleep(QUIET_MILLIS);
        assertEquals(1, FakePlatform.revocationsOf(bankLinkId).size(), "NOT_FOUND is an answer, not a reason to repeat");
    }

    /**
     * The test hook waits for its notice and does not repeat it: 503, and the bank side stays revoked; asked again, it
     * tells the platform.
     */
    @Test
    void theRevokeHookAnswers503WhenThePlatformIsDownAndTellsItWhenAskedAgain() throws Exception {
        ExchangeCodeResponse link = link("cust-grace", List.of("grace-savings"));
        FakePlatform.UNAVAILABLE_REVOCATIONS.set(1);
        given().post("/sandbox/links/" + link.getBankLinkId() + "/revoke").then().statusCode(503)
                .contentType(containsString("application/problem+json"))
                .body("detail", containsString("account-link-service"));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(link.getAccessToken()).build()));
        Thread.sleep(QUIET_MILLIS);
        assertEquals(1, FakePlatform.revocationsOf(link.getBankLinkId()).size(), "the hook's caller repeats, not the bank");

        given().post("/sandbox/links/" + link.getBankLinkId() + "/revoke").then().statusCode(200)
                .body("revokedAtBank", equalTo(false), "platformRevoked", equalTo(true));
        assertEquals(2, FakePlatform.revocationsOf(link.getBankLinkId()).size());
    }

    private record Replayed(ExchangeCodeResponse link, ExchangeCodeRequest exchange) {
        String bankLinkId() {
            return link.getBankLinkId();
        }
    }

    /** Begins, approves and exchanges a code, then presents it again (refused). */
    private Replayed linkAndReplay() {
        String state = "state-" + UUID.randomUUID();
        String code = approve(begin(state).getAuthorisationId(), "cust-katherine", List.of("katherine-current")).get("code");
        ExchangeCodeRequest exchange = exchange(code);
        ExchangeCodeResponse link = bank().exchangeCode(exchange);
        var replay = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(exchange));
        assertEquals("authorisation code was already used", replay.getStatus().getDescription());
        return new Replayed(link, exchange);
    }
}
