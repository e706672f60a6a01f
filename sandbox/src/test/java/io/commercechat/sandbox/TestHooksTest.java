package io.commercechat.sandbox;

import static io.commercechat.testkit.GrpcCalls.assertStatus;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankListAccountsRequest;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.proto.partner.v1.NotifyAccessRevokedRequest;
import io.commercechat.proto.partner.v1.Receipt;
import io.commercechat.proto.partner.v1.SendMessageRequest;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TestIssuerResource.class)
@QuarkusTestResource(SandboxResource.class)
class TestHooksTest extends SandboxTestSupport {

    @Test
    void bankSideRevocationEndsTheTokenAndNotifiesThePlatformWithAPartnerToken() throws Exception {
        ExchangeCodeResponse link = link("cust-grace", List.of("grace-current"));

        given().contentType("application/json").body("{\"reason\":\"You closed this account\"}")
                .post("/sandbox/links/" + link.getBankLinkId() + "/revoke").then().statusCode(200)
                .body("bankLinkId", equalTo(link.getBankLinkId()), "revokedAtBank", equalTo(true),
                        "platformRevoked", equalTo(true));

        assertStatus(Status.Code.PERMISSION_DENIED, () -> bank().listAccounts(
                BankListAccountsRequest.newBuilder().setAccessToken(link.getAccessToken()).build()));

        assertEquals(1, FakePlatform.revocationsOf(link.getBankLinkId()).size());
        FakePlatform.Received<NotifyAccessRevokedRequest> call = FakePlatform.revocationsOf(link.getBankLinkId()).get(0);
        assertEquals(link.getBankLinkId(), call.request().getBankLinkId());
        assertEquals("You closed this account", call.request().getReason());
        assertTrue(Math.abs(call.request().getOccurredAt().getSeconds() - Instant.now().getEpochSecond()) < 60);
        FakePlatform.assertPartnerToken(call.authorization(), "sandbox-bank");

        // again: idempotent at both ends
        given().post("/sandbox/links/" + link.getBankLinkId() + "/revoke").then().statusCode(200)
                .body("revokedAtBank", equalTo(false), "platformRevoked", equalTo(false));
        assertFalse(FakePlatform.revocationsOf(link.getBankLinkId()).get(1).request().getReason().isEmpty(), "a default reason");
    }

    /**
     * ExchangeCode answers that break the partner contract on purpose: the next one (or every one, until changed) names
     * none of the accounts the person selected, while the token and link are issued as usual.
     */
    @Test
    void exchangeAnswersCanLeaveOutTheSelectedAccounts() {
        try {
            given().contentType("application/json").body("{\"omitAccountIds\":true,\"calls\":1}").put("/sandbox/exchange-answers")
                    .then().statusCode(200).body("omitAccountIds", equalTo(true), "calls", equalTo(1));
            ExchangeCodeResponse bare = link("cust-grace", List.of("grace-current"));
            assertEquals(List.of(), bare.getAccountIdsList());
            assertEquals(List.of("grace-current"), bank().listAccounts(BankListAccountsRequest.newBuilder()
                    .setAccessToken(bare.getAccessToken()).build()).getAccountsList().stream()
                    .map(io.commercechat.proto.partner.v1.BankAccount::getAccountId).toList(), "the link itself is as chosen");
            given().get("/sandbox/exchange-answers").then().statusCode(200)
                    .body("omitAccountIds", equalTo(false), "calls", org.hamcrest.Matchers.nullValue());
            assertEquals(List.of("grace-current"), link("cust-grace", List.of("grace-current")).getAccountIdsList(),
                    "the answer after the next calls is whole again");

            given().contentType("application/json").body("{\"omitAccountIds\":true}").put("/sandbox/exchange-answers")
                    .then().statusCode(200).body("omitAccountIds", equalTo(true), "calls", org.hamcrest.Matchers.nullValue());
            assertEquals(List.of(), link("cust-ada", List.of("ada-current")).getAccountIdsList());
            assertEquals(List.of(), link("cust-ada", List.of("ada-current")).getAccountIdsList(), "until changed");
            given().delete("/sandbox/exchange-answers").then().statusCode(200).body("omitAccountIds", equalTo(false));
            assertEquals(List.of("ada-current"), link("cust-ada", List.of("ada-current")).getAccountIdsList());

            for (String bad : new String[] {"{\"calls\":1}", "{\"omitAccountIds\":true,\"calls\":0}", "{not json"}) {
                given().contentType("application/json").body(bad).put("/sandbox/exchange-answers").then().statusCode(400)
                        .contentType(containsString("application/problem+json"));
            }
        } finally {
            given().delete("/sandbox/exchange-answers").then().statusCode(200);
        }
    }

    @Test
    void aRevocationBodyOfNullIsNoReasonAndAMalformedOneIsAProblem() {
        // "null" is JSON: no reason given (it was a 500 from a NullPointerException)
        given().contentType("application/json").body("null").post("/sandbox/links/bl_unknown/revoke").then().statusCode(404)
                .contentType(containsString("application/problem+json"));
        given().contentType("application/json").body("{\"reason\":").post("/sandbox/links/bl_unknown/revoke").then()
                .statusCode(400).contentType(containsString("application/problem+json"));
    }

    /** The body is read as UTF-8 whatever charset the request names (RESTEasy Reactive's String reader): never a 500. */
    @Test
    void aRevocationBodyNamingAnUnknownCharsetIsStillRead() {
        given().contentType("application/json; charset=no-such-charset").body("{\"reason\":\"x\"}".getBytes(StandardCharsets.US_ASCII))
                .post("/sandbox/links/bl_unknown/revoke").then().statusCode(404)
                .contentType(containsString("application/problem+json")).body("detail", containsString("bl_unknown"));
    }

    @Test
    void whatBecameOfACodeIsShownWithoutTheCodeInAUrl() {
        String state = "state-" + java.util.UUID.randomUUID();
        String code = approve(begin(state).getAuthorisationId(), "cust-grace", List.of("grace-current")).get("code");
        given().contentType("application/json").body("{\"code\":\"" + code + "\"}").post("/sandbox/codes/use").then()
                .statusCode(200).body("spent", equalTo(false), "bankLinkId", org.hamcrest.Matchers.nullValue(), "live", equalTo(false));
        ExchangeCodeResponse link = bank().exchangeCode(io.commercechat.proto.partner.v1.ExchangeCodeRequest.newBuilder()
                .setCodeVerifier(VERIFIER).setCode(code).setRedirectUri(REDIRECT).build());
        given().contentType("application/json").body("{\"code\":\"" + code + "\"}").post("/sandbox/codes/use").then()
                .statusCode(200).body("spent", equalTo(true), "bankLinkId", equalTo(link.getBankLinkId()), "live", equalTo(true));

        given().contentType("application/json").body("{\"code\":\"sbc_made-up\"}").post("/sandbox/codes/use").then()
                .statusCode(404).contentType(containsString("application/problem+json"));
        given().contentType("application/json").body("{}").post("/sandbox/codes/use").then().statusCode(400)
                .contentType(containsString("application/problem+json"));
    }

    @Test
    void revokingAnUnknownLinkIsNotFound() {
        given().post("/sandbox/links/bl_unknown/revoke").then().statusCode(404)
                .contentType(containsString("application/problem+json")).body("detail", containsString("bl_unknown"));
    }

    @Test
    void receiptTotalsKeepTheCurrencysTwoDecimals() throws InterruptedException {
        FakePlatform.startChat(); // another test stops it: the channel may still wait to reconnect (503) for a moment
        long until = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        while (given().contentType("application/json").body("{\"conversationId\":\"conv-1\"}").post("/sandbox/shop/receipts")
                .statusCode() == 503 && System.nanoTime() < until) {
            Thread.sleep(200);
        }
        given().contentType("application/json").body("{\"conversationId\":\"conv-1\",\"currency\":\"EUR\",\"items\":["
                + "{\"description\":\"Scarf\",\"quantity\":1,\"unitPrice\":\"12.25\"},"
                + "{\"description\":\"Gloves\",\"quantity\":1,\"unitPrice\":\"8.25\"}]}")
                .post("/sandbox/shop/receipts").then().statusCode(200).body("total", equalTo("20.50"));
        given().contentType("application/json").body("{\"conversationId\":\"conv-1\",\"currency\":\"GBP\",\"items\":["
                + "{\"description\":\"Kettle\",\"quantity\":4,\"unitPrice\":\"25\"}]}")
                .post("/sandbox/shop/receipts").then().statusCode(200).body("total", equalTo("100.00"));
    }

    @Test
    void demoShopSendsAReceiptAsDemoShopAndAnswers503WhenChatServiceIsDown() throws Exception {
        String body = "{\"conversationId\":\"conv-1\",\"currency\":\"GBP\",\"items\":["
                + "{\"description\":\"Tea\",\"quantity\":3,\"unitPrice\":\"2.35\"},"
                + "{\"description\":\"Teapot\",\"quantity\":1,\"unitPrice\":\"24.99\"}]}";
        int before = FakePlatform.MESSAGES.size();
        String first = given().contentType("application/json").body(body).post("/sandbox/shop/receipts").then()
                .statusCode(200).body("total", equalTo("32.04"), "currency", equalTo("GBP"))
                .extract().path("orderNumber");
        String second = given().contentType("application/json").body(body).post("/sandbox/shop/receipts").then()
                .statusCode(200).extract().path("orderNumber");
        assertFalse(first.equals(second), "order numbers are unique");

        FakePlatform.Received<SendMessageRequest> sent = FakePlatform.MESSAGES.get(before);
        assertEquals("conv-1", sent.request().getConversationId());
        assertEquals("receipt-" + first, sent.request().getClientMessageId());
        assertEquals(UpdateTag.UPDATE_TAG_POST_PURCHASE_UPDATE, sent.request().getUpdateTag());
        Receipt receipt = sent.request().getContent().getReceipt();
        assertEquals(first, receipt.getOrderNumber());
        assertEquals(2, receipt.getItemsCount());
        assertEquals(2, receipt.getItems(0).getUnitPrice().getUnits());
        assertEquals(350_000_000, receipt.getItems(0).getUnitPrice().getNanos());
        assertEquals(32, receipt.getTotal().getUnits());
        assertEquals(40_000_000, receipt.getTotal().getNanos());
        assertEquals("GBP", receipt.getTotal().getCurrency());
        FakePlatform.assertPartnerToken(sent.authorization(), "demo-shop");

        given().contentType("application/json").body("{\"conversationId\":\"\"}").post("/sandbox/shop/receipts").then()
                .statusCode(400).contentType(containsString("application/problem+json"));
        given().contentType("application/json").body("{\"conversationId\":\"c\",\"items\":[{\"description\":\"x\",\"quantity\":1,\"unitPrice\":\"0.001\"}]}")
                .post("/sandbox/shop/receipts").then().statusCode(400).body("detail", containsString("2 decimals"));

        FakePlatform.stopChat();
        given().contentType("application/json").body("{\"conversationId\":\"conv-1\"}").post("/sandbox/shop/receipts").then()
                .statusCode(503).contentType(containsString("application/problem+json"))
                .body("detail", containsString("chat-service is unreachable"));
    }

}
