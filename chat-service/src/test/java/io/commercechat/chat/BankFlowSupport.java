package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.testkit.SandboxBankPage;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The person's side of linking a bank account: the REST calls, and the browser at the sandbox bank's page. */
public abstract class BankFlowSupport extends ChatTestSupport {

    protected static final String REDIRECT = "http://127.0.0.1:5173/";

    /** The web client's default permissions (ACCOUNTS_BASIC, BALANCES, TRANSACTIONS) and {@code more}. */
    protected static Map<String, Object> beginBody(String... more) {
        return beginBody(List.of("ACCOUNT_OVERVIEW"), more);
    }

    /** The same for these purposes. */
    protected static Map<String, Object> beginBody(List<String> purposes, String... more) {
        return Map.of("bankId", BANK, "permissions", Stream.concat(Stream.of("ACCOUNTS_BASIC", "BALANCES", "TRANSACTIONS"),
                        Stream.of(more)).toList(),
                "purposes", purposes, "validDays", 30, "redirectUri", REDIRECT);
    }

    protected static JsonPath begin(String sub, String... morePermissions) {
        return as(sub).body(beginBody(morePermissions)).post("/v1/links").then().statusCode(201).extract().jsonPath();
    }

    /**
     * Begin, approve at the bank, complete: the ACTIVE link, for the account overview. Its accounts carry masked
     * numbers only with "ACCOUNTS_DETAIL" among {@code morePermissions}.
     */
    protected static JsonPath linkAccount(String sub, String... morePermissions) throws Exception {
        return link(sub, beginBody(morePermissions));
    }

    /** The same, for the account overview and help from the bank in chat: its cards can be shared with the bank. */
    protected static JsonPath linkAccountToShare(String sub, String... morePermissions) throws Exception {
        return link(sub, beginBody(List.of("ACCOUNT_OVERVIEW", "CUSTOMER_SERVICE"), morePermissions));
    }

    private static JsonPath link(String sub, Map<String, Object> body) throws Exception {
        JsonPath begun = as(sub).body(body).post("/v1/links").then().statusCode(201).extract().jsonPath();
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
