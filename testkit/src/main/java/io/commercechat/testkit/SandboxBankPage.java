package io.commercechat.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A person at the sandbox bank's authorisation page, driven over plain HTTP as a browser would:
 * signs in as the first sandbox customer, keeps every offered account selected, approves or denies,
 * and follows the bank back to the caller's redirect URI.
 */
public final class SandboxBankPage {

    private static final Pattern CUSTOMER = Pattern.compile("name=\"customer\" value=\"([^\"]+)\"");
    private static final Pattern ACCOUNT = Pattern.compile("name=\"account\" value=\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private SandboxBankPage() {
    }

    /**
     * Decides at the page behind {@code authorisationUrl}, asserts that the bank sends the person back
     * to {@code redirect}, and returns that redirect's query parameters ({@code code} + {@code state},
     * or {@code error}). The sandbox's public URL is not known before it starts, so the page is read at
     * {@code sandboxBaseUrl} with the authorisation URL's path and query.
     */
    public static Map<String, String> decide(String sandboxBaseUrl, String redirect, String authorisationUrl, boolean approve)
            throws Exception {
        URI given = URI.create(authorisationUrl);
        String page = sandboxBaseUrl + given.getRawPath() + "?" + given.getRawQuery();
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
        HttpResponse<String> decided = HTTP.send(HttpRequest.newBuilder(URI.create(sandboxBaseUrl + "/bank/authorise"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(303, decided.statusCode(), decided.body());
        URI back = URI.create(decided.headers().firstValue("Location").orElseThrow());
        assertTrue(back.toString().startsWith(redirect), back.toString());
        return query(back.getRawQuery());
    }

    /** The decoded parameters of a URL's raw query string. */
    public static Map<String, String> query(String raw) {
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
