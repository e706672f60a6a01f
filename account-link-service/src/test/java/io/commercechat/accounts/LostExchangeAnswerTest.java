package io.commercechat.accounts;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.testkit.PostgresResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The answer to the code exchange is lost after the bank issued the token (the bank carried the call out; its answer
 * came too late, or the connection was cut): nobody here holds that token, so nothing could ever revoke it. The service
 * presents the code once more, the bank refuses it and revokes what it issued from it (RFC 6749 section 4.1.2), and the
 * person is told to start again. The bank's test hook shows what became of the code. The bank tells the service of
 * that revocation (PartnerLinkEvents) for a bank link id the service never learned: NOT_FOUND, and nothing changes.
 *
 * <p>And a code of a link that is ACTIVE here presented again (by whoever holds it and its verifier): the bank revokes
 * the link and tells the service, which ends it at once as the bank's doing and deletes its token.
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
     * The first exchange never reached the bank (UNAVAILABLE before the bank did anything): the outcome looks the same
     * from here, so the code is presented again, and that presentation is the bank's first use of it: it issues a token.
     * The service revokes that token at once, as any unused one, and the link still fails: the person starts again.
     */
    @Test
    void anExchangeThatNeverReachedTheBankLeavesNoLiveTokenEither() throws Exception {
        String sub = newPerson();
        BeginLinkResponse begun = begin(sub);
        Map<String, String> back = atBank(begun.getAuthorisationUrl(), true);
        assertEquals(200, sandboxHook("PUT", "/sandbox/faults", "{\"rpc\":\"ExchangeCode\",\"failureRate\":1,\"calls\":1}")
                .statusCode());

        assertStatus(Status.Code.ABORTED, () -> person(sub).completeLink(CompleteLinkRequest.newBuilder()
                .setState(back.get("state")).setCode(back.get("code")).build()));

        String code = codeUse(back.get("code"));
        assertTrue(code.contains("\"spent\":true"), "the second presentation was the code's first use: " + code);
        assertTrue(code.contains("\"bankLinkId\":\"bl_"), "the bank issued a token to it: " + code);
        await("the token issued to the second presentation is revoked", Duration.ofSeconds(20),
                () -> !stillLive(back.get("code")));
        UUID linkId = UUID.fromString(begun.getLink().getId());
        assertEquals(LinkStatus.LINK_STATUS_FAILED, getLink(sub, linkId.toString()).getStatus());
        assertNull(tokenRow(linkId), "the token was revoked, not stored");
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

        // the bank told this service of the revocation, for a link id it never learned: NOT_FOUND, final (the sandbox
        // logs that answer once and does not repeat the notice), and nothing is written
        String bankLinkId = code.replaceAll(".*\"bankLinkId\":\"([^\"]+)\".*", "$1");
        String answered = "the platform holds no link with bank link " + bankLinkId + ": nothing to end there";
        await("the bank's notice was answered", Duration.ofSeconds(20), () -> sandboxLog().contains(answered));
        assertEquals(0, linksWithBankLinkId(bankLinkId), "no link here has the id of a token it never received");

        UUID linkId = UUID.fromString(begun.getLink().getId());
        Link failed = getLink(sub, linkId.toString());
        assertEquals(LinkStatus.LINK_STATUS_FAILED, failed.getStatus());
        assertEquals("the bank's answer to the code exchange was lost", failed.getStatusReason());
        assertNull(tokenRow(linkId), "no token was received, none is stored");
        await("the consent is rejected", Duration.ofSeconds(20), () -> consentAs(ISSUER.person(sub)).getConsent(
                GetConsentRequest.newBuilder().setConsentId(begun.getLink().getConsentId()).build()).getConsent()
                .getStatus() == ConsentStatus.CONSENT_STATUS_REJECTED);
    }

    /**
     * A code of a link that is ACTIVE here presented again: the bank refuses it and revokes the link (RFC 6749 section
     * 10.5), then tells this service, which ends the link at once, with the bank's reason and its consent revoked as
     * the bank's doing, and deletes its token. Before, the link stayed ACTIVE here until a read was refused.
     */
    @Test
    void aCodeOfAnActiveLinkPresentedAgainEndsTheLinkHere() throws Exception {
        String sub = newPerson();
        BeginLinkResponse begun = begin(sub);
        UUID linkId = UUID.fromString(begun.getLink().getId());
        String verifier = codeVerifier(linkId);  // the one secret besides the code that its exchange needs
        Map<String, String> back = atBank(begun.getAuthorisationUrl(), true);
        Link link = person(sub).completeLink(CompleteLinkRequest.newBuilder().setState(back.get("state"))
                .setCode(back.get("code")).build()).getLink();
        assertEquals(LinkStatus.LINK_STATUS_ACTIVE, link.getStatus(), link.getStatusReason());
        remember(linkId);
        String token = bankToken(linkId);

        var replay = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bankDirect().exchangeCode(ExchangeCodeRequest
                .newBuilder().setCode(back.get("code")).setRedirectUri(REDIRECT).setCodeVerifier(verifier).build()));
        assertEquals("authorisation code was already used", replay.getStatus().getDescription());

        await("the link ends here", Duration.ofSeconds(15), () -> getLink(sub, linkId.toString()).getStatus() == LinkStatus.LINK_STATUS_REVOKED);
        Link ended = getLink(sub, linkId.toString());
        assertTrue(ended.getStatusReason().startsWith("access ended by the bank: the code that authorised this access was"
                + " used a second time"), ended.getStatusReason());
        await("the token row is deleted", Duration.ofSeconds(15), () -> tokenRow(linkId) == null);
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bankDirect().listAccounts(BankListAccountsRequest.newBuilder()
                .setAccessToken(token).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> person(sub).getBalances(GetBalancesRequest.newBuilder()
                .setAccountId(link.getAccounts(0).getId()).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()));
        // the link ends first, whatever consent-service says; the consent follows as soon as consent-service answers
        // (PartnerRevocations, FailedLinkConsents): on a loaded machine the first attempt may not be the one
        GetConsentRequest consentOfLink = GetConsentRequest.newBuilder().setConsentId(link.getConsentId()).build();
        await("the consent is revoked", Duration.ofSeconds(15), () -> consentAs(ISSUER.person(sub)).getConsent(consentOfLink)
                .getConsent().getStatus() == ConsentStatus.CONSENT_STATUS_REVOKED);
        assertEquals(Actor.ACTOR_BANK, consentAs(ISSUER.person(sub)).getConsent(consentOfLink).getConsent().getEndedBy());
    }

    /** The PKCE verifier of a link that is still PENDING (an ACTIVE link no longer keeps it). */
    private static String codeVerifier(UUID linkId) throws Exception {
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement("SELECT code_verifier FROM links WHERE id = ?")) {
            s.setObject(1, linkId);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return r.getString(1);
            }
        }
    }

    private static int linksWithBankLinkId(String bankLinkId) {
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement("SELECT count(*) FROM links WHERE bank_link_id = ?")) {
            s.setString(1, bankLinkId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sandboxLog() {
        try {
            return Files.readString(peers().sandbox.log(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the token issued from {@code code} is live at the bank. */
    private static boolean stillLive(String code) {
        try {
            return !codeUse(code).contains("\"live\":false");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
