package io.commercechat.systemtests.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox bank's authorisation page, used over plain HTTP as a browser would: sign in as a customer, keep every
 * account checked, approve; the bank answers with a 303 to the web client's redirect URI carrying {@code code} and
 * {@code state} (which the browser would then load: here the test reads them from the Location header).
 */
public final class BankAuthorisationPage {

    private static final Pattern CHECKED_ACCOUNT = Pattern.compile(
            "<input[^>]*name=\"account\"[^>]*value=\"([^\"]+)\"[^>]*checked", Pattern.CASE_INSENSITIVE);
    private static final Pattern REQUEST_ID = Pattern.compile("name=\"request\" value=\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The bank's answer: the redirect back to the web client. */
    public record Answer(URI location, Map<String, String> query) {
        public String code() {
            return query.get("code");
        }

        public String state() {
            return query.get("state");
        }
    }

    /** Opens the authorisation URL, signs in as {@code customer}, approves every account. */
    public Answer approve(String authorisationUrl, String customer) {
        return decide(authorisationUrl, customer, "approve");
    }

    /** Opens the authorisation URL, signs in as {@code customer}, denies. */
    public Answer deny(String authorisationUrl, String customer) {
        return decide(authorisationUrl, customer, "deny");
    }

    private Answer decide(String authorisationUrl, String customer, String decision) {
        URI url = URI.create(authorisationUrl);
        HttpResponse<String> accountsStep = send(HttpRequest.newBuilder(URI.create(authorisationUrl
                + (authorisationUrl.contains("?") ? "&" : "?") + "customer=" + enc(customer))).GET());
        if (accountsStep.statusCode() != 200) {
            throw new AssertionError("the bank's page answered " + accountsStep.statusCode() + ": " + accountsStep.body());
        }
        String html = accountsStep.body();
        Matcher request = REQUEST_ID.matcher(html);
        if (!request.find()) {
            throw new AssertionError("no authorisation request on the bank's page: " + html);
        }
        List<String> accounts = new ArrayList<>();
        for (Matcher m = CHECKED_ACCOUNT.matcher(html); m.find();) {
            accounts.add(m.group(1));
        }
        StringBuilder form = new StringBuilder("request=" + enc(request.group(1)) + "&customer=" + enc(customer)
                + "&decision=" + enc(decision));
        accounts.forEach(a -> form.append("&account=").append(enc(a)));
        HttpResponse<String> answer = send(HttpRequest.newBuilder(url.resolve("/bank/authorise"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())));
        String location = answer.headers().firstValue("Location").orElse(null);
        if (answer.statusCode() != 303 || location == null) {
            throw new AssertionError("the bank did not redirect back (HTTP " + answer.statusCode() + "): " + answer.body());
        }
        URI back = url.resolve(location);
        return new Answer(back, query(back.getRawQuery()));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
