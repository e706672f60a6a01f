package io.commercechat.accounts;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.GetLinkRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.testkit.PostgresResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The answer to the code exchange is lost after the bank issued the token (the bank carried the call out; its answer
 * came too late, or the connection was cut): nobody here holds that token, so nothing could ever revoke it. The service
 * presents the code once more, the bank refuses it and revokes what it issued from it (RFC 6749 section 4.1.2), and the
 * person is told to start again. The bank's test hook shows what became of the code.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class LostExchangeAnswerTest extends MeshTestSupport {

    @AfterEach
    void bankAsConfigured() throws Exception {
        sandboxHook("DELETE", "/sandbox/faults", null);
    }

    /** The bank's answer comes after the service's 2 s deadline (DEADLINE_EXCEEDED here). */
    @Test
    void anExchangeAnsweredTooLateLeavesNoLiveTokenAtTheBank() throws Exception {
        long start = System.nanoTime();
        exchangeAnswerLost("{\"rpc\":\"ExchangeCode\",\"latencyMillis\":3000,\"afterWork\":true,\"calls\":1}");
        // The sandbox still sends its late answer when its 3 s are up, on the stream the service reset, which tears that
        // connection down (quarkusio/quarkus#56268, see AccountLinkFlowTest.aSlowBankIsDeadlineExceeded): let it land
        // before the next calls to the bank.
        long left = 3300 - (System.nanoTime() - start) / 1_000_000;
        if (left > 0) {
            Thread.sleep(left);
        }
        linkAccount(newPerson());
    }

    /** The connection is cut after the bank acted (UNAVAILABLE here). */
    @Test
    void anExchangeWhoseConnectionWasCutLeavesNoLiveTokenAtTheBank() throws Exception {
        exchangeAnswerLost("{\"rpc\":\"ExchangeCode\",\"failureRate\":1,\"afterWork\":true,\"calls\":1}");
        linkAccount(newPerson());
    }

    /**
     * Begins and approves a link, makes the bank lose its next ExchangeCode answer ({@code fault}) and completes it: the
     * person is told to start again, the link has failed and its consent is rejected, and the token the bank issued from
     * the code is no longer live there.
     */
    private void exchangeAnswerLost(String fault) throws Exception {
        String sub = newPerson();
        BeginLinkResponse begun = begin(sub);
        Map<String, String> back = atBank(begun.getAuthorisationUrl(), true);
        assertEquals(200, sandboxHook("PUT", "/sandbox/faults", fault).statusCode());

        var lost = assertStatus(Status.Code.ABORTED, () -> person(sub).completeLink(CompleteLinkRequest.newBuilder()
                .setState(back.get("state")).setCode(back.get("code")).build()));
        assertEquals("Sandbox Bank did not answer the exchange of the authorisation code, so the link could not be completed:"
                + " start the link again", lost.getStatus().getDescription());

        String code = codeUse(back.get("code"));
        assertTrue(code.contains("\"spent\":true"), code);
        assertTrue(code.contains("\"bankLinkId\":\"bl_"), "the bank had issued a token (the answer was lost after it): " + code);
        assertTrue(code.contains("\"live\":false"), "the token the bank issued is still live: " + code);

        UUID linkId = UUID.fromString(begun.getLink().getId());
        Link failed = person(sub).getLink(GetLinkRequest.newBuilder().setLinkId(linkId.toString()).build()).getLink();
        assertEquals(LinkStatus.LINK_STATUS_FAILED, failed.getStatus());
        assertEquals("the bank's answer to the code exchange was lost", failed.getStatusReason());
        assertNull(tokenRow(linkId), "no token was received, none is stored");
        await("the consent is rejected", Duration.ofSeconds(20), () -> consentAs(ISSUER.person(sub)).getConsent(
                GetConsentRequest.newBuilder().setConsentId(begun.getLink().getConsentId()).build()).getConsent()
                .getStatus() == ConsentStatus.CONSENT_STATUS_REJECTED);
    }

    /**
     * What became of a code at the sandbox bank, as its JSON: spent, the bank link it granted, whether that link's token
     * is live. (The sandbox's codes are URL-safe: no escaping needed.)
     */
    private static String codeUse(String code) throws Exception {
        var answer = sandboxHook("POST", "/sandbox/codes/use", "{\"code\":\"" + code + "\"}");
        assertEquals(200, answer.statusCode(), answer.body());
        return answer.body();
    }
}
