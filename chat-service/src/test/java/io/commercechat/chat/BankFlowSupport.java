package io.commercechat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The person's side of linking a bank account: the REST calls, and the browser at the sandbox bank's page. */
public abstract class BankFlowSupport extends ChatTestSupport {

    protected static final String REDIRECT = "http://127.0.0.1:5173/";
    private static final Pattern CUSTOMER = Pattern.compile("name=\"customer\" value=\"([^\"]+)\"");
    private static final Pattern ACCOUNT = Pattern.compile("name=\"account\" value=\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

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

    /** The browser at the bank: signs in as the first customer, keeps every account selected, decides. */
    protected static Map<String, String> atBank(String authorisationUrl, boolean approve) throws Exception {
        URI given = URI.create(authorisationUrl);
        // the sandbox's public URL is not known before it starts: keep path and query, use its real address
        String sandbox = MeshPeers.get().sandbox.baseUrl();
        String page = sandbox + given.getRawPath() + "?" + given.getRawQuery();
        String requestId = query(given.getRawQuery()).get("request");
        HttpResponse<String> first = HTTP.send(HttpRequest.newBuilder(URI.create(page)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, first.statusCode(), first.body());
        Matcher customer = CUSTOMER.matcher(first.body());
        assertTrue(customer.find(), "the bank page offers customers to sign in as");
        String customerId = customer.group(1);
        StringBuilder form = new StringBuilder("request=" + enc(requestId) + "&customer=" + enc(customerId));
        if (approve) {
            HttpResponse<String> second = HTTP.send(HttpRequest.newBuilder(URI.create(page + "&customer=" + enc(customerId)))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, second.statusCode(), second.body());
            Matcher account = ACCOUNT.matcher(second.body());
            while (account.find()) {
                form.append("&account=").append(enc(account.group(1)));
            }
        }
        form.append("&decision=").append(approve ? "approve" : "deny");
        HttpResponse<String> decided = HTTP.send(HttpRequest.newBuilder(URI.create(sandbox + "/bank/authorise"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(303, decided.statusCode(), decided.body());
        URI back = URI.create(decided.headers().firstValue("Location").orElseThrow());
        assertTrue(back.toString().startsWith(REDIRECT), back.toString());
        return query(back.getRawQuery());
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            out.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
