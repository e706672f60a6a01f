package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.BeginAuthorisationResponse;
import io.commercechat.proto.partner.v1.ExchangeCodeRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.config.EncoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class AuthorisationFlowTest extends SandboxTestSupport {

    /** Sends a form body as the bytes given, under the content type given (rest-assured would otherwise encode it). */
    private static final RestAssuredConfig RAW_FORM = RestAssuredConfig.config().encoderConfig(EncoderConfig.encoderConfig()
            .encodeContentTypeAs("application/x-www-form-urlencoded", ContentType.BINARY)
            .appendDefaultContentCharsetToContentTypeIfUndefined(false));

    @Test
    void pageShowsRequesterPermissionsAndCustomersThenApprovalRedirectsWithCodeAndState() {
        BeginAuthorisationResponse begun = begin("state-1");
        assertEquals("http://127.0.0.1:8083/bank/authorise?request=" + begun.getAuthorisationId(), begun.getAuthorisationUrl());

        // step 1: who is asking, for what, and the pick list of sandbox customers
        given().get(pathOf(begun.getAuthorisationUrl())).then().statusCode(200)
                .contentType(containsString("text/html"))
                .header("X-Frame-Options", "DENY")
                .header("Cache-Control", "no-store")
                .body(containsString("Commerce Chat</span> is asking to see your bank data"))
                .body(containsString("Your balances"), containsString("Your transactions"),
                        containsString("Showing you your own accounts in the chat"))
                .body(containsString("Ada Lovelace"), containsString("Grace Hopper"), containsString("Alan Turing"),
                        containsString("Katherine Johnson"))
                .body(containsString("<label><input type=\"radio\" name=\"customer\""))
                .body(not(containsString("Approve")));

        // step 2: signed in as Ada, her accounts are offered, all checked, masked
        String step2 = given().queryParam("request", begun.getAuthorisationId()).queryParam("customer", "cust-ada")
                .get("/bank/authorise").then().statusCode(200)
                .body(containsString("Signed in as <strong id=\"customer\">Ada Lovelace</strong>"))
                .body(containsString("value=\"ada-current\" checked"), containsString("value=\"ada-savings\" checked"),
                        containsString("value=\"ada-card\" checked"), containsString("value=\"ada-travel\" checked"))
                .body(containsString("Approve"), containsString("Deny"))
                .extract().asString();
        assertTrue(step2.contains("•••• "), "account numbers are shown masked");

        Map<String, String> redirect = approve(begun.getAuthorisationId(), "cust-ada", List.of("ada-current", "ada-card"));
        assertEquals("state-1", redirect.get("state"));
        assertTrue(redirect.get("code").length() >= 30, "an unguessable code");
        assertNull(redirect.get("error"));

        ExchangeCodeResponse exchanged = bank().exchangeCode(exchange(redirect.get("code")));
        assertEquals(List.of("ada-current", "ada-card"), exchanged.getAccountIdsList());
        assertFalse(exchanged.getAccessToken().isEmpty());
        assertFalse(exchanged.getBankLinkId().isEmpty());
        assertTrue(exchanged.getAccessTokenExpiresAt().getSeconds() > System.currentTimeMillis() / 1000 + 80 * 86400L);

        // the request was answered: its page is gone
        given().get(pathOf(begun.getAuthorisationUrl())).then().statusCode(404)
                .body(containsString("already answered or has expired"));
    }

    @Test
    void denyRedirectsWithAccessDeniedAndTheState() {
        BeginAuthorisationResponse begun = begin("state-deny");
        Response r = decide(begun.getAuthorisationId(), null, null, "deny");
        assertEquals(303, r.statusCode());
        Map<String, String> redirect = query(r.header("Location"));
        assertEquals("access_denied", redirect.get("error"));
        assertEquals("state-deny", redirect.get("state"));
        assertNull(redirect.get("code"));
        // answered once only
        assertEquals(404, decide(begun.getAuthorisationId(), "cust-ada", List.of("ada-current"), "approve").statusCode());
    }

    @Test
    void redirectUriWithAQueryKeepsItAndStateIsEncoded() {
        String redirectUri = "https://app.commercechat.test/cb?from=bank";
        BeginAuthorisationResponse begun = bank().beginAuthorisation(authorisation("a b&c").setRedirectUri(redirectUri).build());
        Response r = decide(begun.getAuthorisationId(), null, null, "deny");
        assertTrue(r.header("Location").startsWith(redirectUri + "&error=access_denied&state=a+b%26c"), r.header("Location"));
    }

    @Test
    void approvalWithoutAccountsOrWithAnotherCustomersAccountIsRefusedOnThePage() {
        BeginAuthorisationResponse begun = begin("state-x");
        Response none = decide(begun.getAuthorisationId(), "cust-grace", List.of(), "approve");
        assertEquals(400, none.statusCode());
        assertTrue(none.asString().contains("Select at least one account"), none.asString());
        Response foreign = decide(begun.getAuthorisationId(), "cust-grace", List.of("ada-current"), "approve");
        assertEquals(400, foreign.statusCode());
        assertTrue(foreign.asString().contains("Only your own accounts"));
        // still pending: a correct answer works
        Map<String, String> redirect = approve(begun.getAuthorisationId(), "cust-grace", List.of("grace-current"));
        assertEquals("state-x", redirect.get("state"));
    }

    /**
     * A form no browser sends (a broken percent escape, a charset that does not exist) is answered with the page's own
     * problem view, 400, and decides nothing: the request stays pending.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "application/x-www-form-urlencoded | request=%ZZ&decision=deny",
            "application/x-www-form-urlencoded | request={id}&decision=deny&customer=%E",
            "application/x-www-form-urlencoded; charset=no-such-charset | request={id}&decision=deny&customer=a+b",
            "application/x-www-form-urlencoded; charset=no-such-charset | request={id}&decision=deny&customer=%41",
            "application/x-www-form-urlencoded; charset='utf-8' | request={id}&decision=deny&customer=%41",
            "application/x-www-form-urlencoded; charset= | request={id}&decision=deny"})
    void aMalformedFormIsRefusedOnThePageAndDecidesNothing(String contentType, String form) {
        String id = begin("state-malformed").getAuthorisationId();
        given().redirects().follow(false).config(RAW_FORM).contentType(contentType)
                .body(form.replace("{id}", id).getBytes(StandardCharsets.US_ASCII))
                .post("/bank/authorise").then().statusCode(400)
                .contentType(containsString("text/html"))
                .header("X-Frame-Options", "DENY")
                .body(containsString("We cannot continue"), containsString("could not be read"));
        Map<String, String> redirect = approve(id, "cust-ada", List.of("ada-current"));
        assertEquals("state-malformed", redirect.get("state"));
    }

    /** What a browser posts: no charset named (the page's UTF-8), one account field per account chosen. */
    @Test
    void aBrowsersFormIsRead() {
        String id = begin("state-browser").getAuthorisationId();
        Response r = given().redirects().follow(false).config(RAW_FORM).contentType("application/x-www-form-urlencoded")
                .body(("request=" + id + "&customer=cust-ada&account=ada-current&account=ada-card&decision=approve")
                        .getBytes(StandardCharsets.US_ASCII))
                .post("/bank/authorise");
        assertEquals(303, r.statusCode(), r.asString());
        Map<String, String> redirect = query(r.header("Location"));
        assertEquals("state-browser", redirect.get("state"));
        assertEquals(List.of("ada-current", "ada-card"), bank().exchangeCode(exchange(redirect.get("code"))).getAccountIdsList());
    }

    @Test
    void requesterNameIsEscapedOnThePage() {
        BeginAuthorisationResponse begun = bank().beginAuthorisation(
                authorisation("s").setRequesterDisplayName("<script>alert(1)</script>").build());
        given().get(pathOf(begun.getAuthorisationUrl())).then().statusCode(200)
                .body(not(containsString("<script>alert(1)</script>")))
                .body(containsString("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    @Test
    void unknownRequestShowsAPageNotAnError() {
        given().queryParam("request", "az_nope").get("/bank/authorise").then().statusCode(404)
                .contentType(containsString("text/html")).body(containsString("start linking again"));
    }

    @Test
    void replayedCodeIsRefusedAndRevokesTheFirstLink() {
        BeginAuthorisationResponse begun = begin("state-r");
        String code = approve(begun.getAuthorisationId(), "cust-alan", List.of("alan-current")).get("code");
        ExchangeCodeRequest exchange = exchange(code);
        ExchangeCodeResponse first = bank().exchangeCode(exchange);
        var replay = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(exchange));
        assertEquals("authorisation code was already used", replay.getStatus().getDescription());
        // RFC 6749 4.1.2: a replayed code revokes what it granted
        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(
                BankListAccountsRequest.newBuilder().setAccessToken(first.getAccessToken()).build()));
    }

    @Test
    void wrongRedirectUriAndUnknownCodeAreRefused() {
        BeginAuthorisationResponse begun = begin("state-w");
        String code = approve(begun.getAuthorisationId(), "cust-alan", List.of("alan-card")).get("code");
        var wrong = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(
                ExchangeCodeRequest.newBuilder().setCodeVerifier(VERIFIER).setCode(code).setRedirectUri("https://evil.example/cb").build()));
        assertTrue(wrong.getStatus().getDescription().contains("redirect_uri"), wrong.getStatus().getDescription());
        var unknown = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(
                exchange("sbc_made-up")));
        assertEquals("authorisation code is unknown", unknown.getStatus().getDescription());
    }

    /**
     * Every link shares one redirect URI, so a code read from one person's redirect could otherwise complete another
     * person's link; PKCE binds it to the authorisation that was begun with the verifier's challenge.
     */
    @Test
    void aCodeIsExchangedOnlyWithTheVerifierOfItsAuthorisation() {
        BeginAuthorisationResponse begun = begin("state-pkce");
        String code = approve(begun.getAuthorisationId(), "cust-alan", List.of("alan-current")).get("code");
        String someoneElses = "another-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
        var injected = assertStatus(Status.Code.FAILED_PRECONDITION, () -> bank().exchangeCode(ExchangeCodeRequest.newBuilder()
                .setCodeVerifier(someoneElses).setCode(code).setRedirectUri(REDIRECT).build()));
        assertEquals("code_verifier does not match the code_challenge of the authorisation request", injected.getStatus().getDescription());
        // not spent by that attempt: the one who began the authorisation still completes it
        ExchangeCodeResponse own = bank().exchangeCode(exchange(code));
        assertEquals(List.of("alan-current"), own.getAccountIdsList());
        // both halves are required
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().exchangeCode(ExchangeCodeRequest.newBuilder().setCode(code)
                .setRedirectUri(REDIRECT).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(authorisation("s").clearCodeChallenge().build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(authorisation("s").setCodeChallenge("plain").build()));
    }

    /** RFC 7636 appendix B: the S256 challenge of the example verifier. */
    @Test
    void theChallengeIsRfc7636s() {
        assertEquals("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                io.commercechat.support.Pkce.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assertTrue(io.commercechat.support.Pkce.matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assertTrue(!io.commercechat.support.Pkce.matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    @Test
    void concurrentExchangesOfOneCodeHaveExactlyOneWinner() throws Exception {
        BeginAuthorisationResponse begun = begin("state-c");
        String code = approve(begun.getAuthorisationId(), "cust-katherine", List.of("katherine-current")).get("code");
        ExchangeCodeRequest exchange = exchange(code);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<ExchangeCodeResponse>> attempts = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                attempts.add(() -> {
                    try {
                        return bank().exchangeCode(exchange);
                    } catch (io.grpc.StatusRuntimeException e) {
                        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
                        return null;
                    }
                });
            }
            List<ExchangeCodeResponse> winners = new ArrayList<>();
            for (Future<ExchangeCodeResponse> f : pool.invokeAll(attempts)) {
                if (f.get() != null) {
                    winners.add(f.get());
                }
            }
            assertEquals(1, winners.size());
            // the other five were replays: whatever the interleaving, the winner's token no longer works
            assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(
                    BankListAccountsRequest.newBuilder().setAccessToken(winners.get(0).getAccessToken()).build()));
            // and the platform is told once, by whichever side revoked it
            platformToldOf(winners.get(0).getBankLinkId(), 1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void beginAuthorisationValidatesItsInput() {
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(authorisation("").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(
                authorisation("s").setRedirectUri("javascript:alert(1)").build()));
        var userInfo = assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(
                authorisation("s").setRedirectUri("http://127.0.0.1:@evil.com/cb").build()));
        assertTrue(userInfo.getStatus().getDescription().contains("user info"), userInfo.getStatus().getDescription());
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(authorisation("s").clearPermissions().build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(authorisation("s").clearPurposes().build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(authorisation("s").clearExpiresAt().build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> bank().beginAuthorisation(
                authorisation("s").setRequesterDisplayName("").build()));
    }

    private static String pathOf(String url) {
        return java.net.URI.create(url).getRawPath() + "?" + java.net.URI.create(url).getRawQuery();
    }
}
