package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.testkit.SandboxBankPage;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;

/** The person's side of linking a bank account: the REST calls, and the browser at the sandbox bank's page. */
public abstract class BankFlowSupport extends ChatTestSupport {

    protected static final String REDIRECT = "http://127.0.0.1:5173/";

    protected static Map<String, Object> beginBody() {
        return Map.of("bankId", BANK, "permissions", List.of("ACCOUNTS_BASIC", "BALANCES", "TRANSACTIONS"),
                "purposes", List.of("ACCOUNT_OVERVIEW"), "validDays", 30, "redirectUri", REDIRECT);
    }

    protected static JsonPath begin(String sub) {
        return as(sub).body(beginBody()).post("/v1/links").then().statusCode(201).extract().jsonPath();
    }

    /** Begin, approve at the bank, complete: the ACTIVE link. */
    protected static JsonPath linkAccount(String sub) throws Exception {
        JsonPath begun = begin(sub);
        Map<String, String> back = atBank(begun.getString("authorisationUrl"), true);
        assertEquals(begun.getString("state"), back.get("state"));
        JsonPath done = as(sub).body(Map.of("state", back.get("state"), "code", back.get("code")))
                .post("/v1/links/complete").then().statusCode(200).extract().jsonPath();
        assertEquals("ACTIVE", done.getString("link.status"), done.prettify());
        return done.setRootPath("link");
    }

    /** The browser at the bank (testkit's SandboxBankPage): signs in, keeps every account, decides. */
    protected static Map<String, String> atBank(String authorisationUrl, boolean approve) throws Exception {
        return SandboxBankPage.decide(MeshPeers.get().sandbox.baseUrl(), REDIRECT, authorisationUrl, approve);
    }
}
