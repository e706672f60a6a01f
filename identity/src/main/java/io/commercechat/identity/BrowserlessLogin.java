package io.commercechat.identity;

import java.io.IOException;
import java.net.CookieHandler;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A person's login without a browser: the real OAuth 2 authorization-code flow with PKCE (S256) against the
 * Keycloak login page, driven over HTTP. For end-to-end tests (the {@code web} client allows no password grant).
 *
 * <ol>
 *   <li>GET the authorization endpoint (cookies kept), read the login form's action from the HTML;</li>
 *   <li>POST username and password to it; Keycloak answers with a redirect to the redirect URI, whose
 *       {@code code} is taken from the Location header (the redirect URI itself is never fetched);</li>
 *   <li>exchange the code with the code verifier at the token endpoint.</li>
 * </ol>
 */
public final class BrowserlessLogin {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern FORM_TAG = Pattern.compile("<form\\b[^>]*>", Pattern.CASE_INSENSITIVE);
    private static final Pattern ACTION_ATTR = Pattern.compile("\\baction\\s*=\\s*\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);
    /** Keycloak's message on the re-rendered login page ("Invalid username or password."). */
    private static final Pattern ERROR_TEXT = Pattern.compile(
            "class=\"[^\"]*(?:kc-feedback-text|pf-v5-c-alert__title|alert-error)[^\"]*\"[^>]*>\\s*([^<\\s][^<]*?)\\s*<",
            Pattern.CASE_INSENSITIVE);

    private BrowserlessLogin() {
    }

    /** The login did not yield an authorization code (wrong password, locked account, error redirect, ...). */
    public static final class LoginFailedException extends IOException {
        private static final long serialVersionUID = 1L;

        public LoginFailedException(String message) {
            super(message);
        }
    }

    /** What the token endpoint returned for the code. */
    public record Tokens(String accessToken, String idToken, String refreshToken, String rawResponse) {
    }

    /** An authorization code, with the PKCE verifier it must be redeemed with. */
    public record AuthorizationCode(String code, String codeVerifier, String redirectUri) {
    }

    /**
     * Logs the person in and returns the access token.
     *
     * @param issuer      e.g. {@code http://127.0.0.1:8180/realms/commerce-chat}
     * @param clientId    a public client with the standard flow and PKCE, e.g. {@code web}
     * @param redirectUri a redirect URI the client allows, e.g. {@code http://localhost:5173/callback}; never fetched
     */
    public static String login(String issuer, String clientId, String redirectUri, String username, String password)
            throws IOException, InterruptedException {
        return loginForTokens(issuer, clientId, redirectUri, username, password).accessToken();
    }

    /** Like {@link #login} but returns access, ID and refresh tokens. */
    public static Tokens loginForTokens(String issuer, String clientId, String redirectUri, String username,
                                        String password) throws IOException, InterruptedException {
        AuthorizationCode code = authorizationCode(issuer, clientId, redirectUri, username, password);
        return exchange(issuer, clientId, code);
    }

    /**
     * Steps 1 and 2: logs in at the login page and returns the authorization code.
     *
     * @throws LoginFailedException when Keycloak does not redirect back with a code (e.g. a wrong password)
     */
    public static AuthorizationCode authorizationCode(String issuer, String clientId, String redirectUri,
                                                      String username, String password)
            throws IOException, InterruptedException {
        HttpClient http = newClient();
        String verifier = randomToken(32);
        String state = randomToken(16);
        Map<String, String> query = new LinkedHashMap<>();
        query.put("client_id", clientId);
        query.put("redirect_uri", redirectUri);
        query.put("response_type", "code");
        query.put("scope", "openid");
        query.put("state", state);
        query.put("nonce", randomToken(16));
        query.put("code_challenge", s256(verifier));
        query.put("code_challenge_method", "S256");
        URI authUri = URI.create(issuer + "/protocol/openid-connect/auth?" + form(query));

        // 1. the login page (following redirects inside Keycloak, never to the redirect URI)
        HttpResponse<String> page = http.send(get(authUri), HttpResponse.BodyHandlers.ofString());
        for (int hops = 0; isRedirect(page); hops++) {
            URI next = location(page);
            if (isRedirectUri(next, redirectUri)) {
                // an error (or an SSO session, which this fresh cookie jar never has)
                return codeFrom(next, state, redirectUri, verifier);
            }
            if (hops >= 10) {
                throw new IOException("too many redirects before the login page, last: " + next);
            }
            page = http.send(get(next), HttpResponse.BodyHandlers.ofString());
        }
        if (page.statusCode() != 200) {
            throw new IOException("authorization endpoint answered HTTP " + page.statusCode() + ": " + abbreviate(page.body()));
        }
        HttpResponse<String> loginPage = page;
        URI action = loginFormAction(loginPage.uri(), loginPage.body())
                .orElseThrow(() -> new IOException("no login form in the page from " + authUri + ": " + abbreviate(loginPage.body())));

        // 2. the credentials
        Map<String, String> credentials = new LinkedHashMap<>();
        credentials.put("username", username);
        credentials.put("password", password);
        credentials.put("credentialId", "");
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(action).timeout(TIMEOUT)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form(credentials))).build(),
                HttpResponse.BodyHandlers.ofString());
        for (int hops = 0; isRedirect(answer); hops++) {
            URI next = location(answer);
            if (isRedirectUri(next, redirectUri)) {
                return codeFrom(next, state, redirectUri, verifier);
            }
            if (hops >= 10) {
                throw new IOException("too many redirects after the login form, last: " + next);
            }
            answer = http.send(get(next), HttpResponse.BodyHandlers.ofString());
        }
        String why = errorText(answer.body()).map(t -> ": " + t).orElse("");
        throw new LoginFailedException("login of '" + username + "' yielded no code (HTTP " + answer.statusCode()
                + " " + answer.uri().getPath() + ")" + why);
    }

    /** Step 3: redeems the code (with its PKCE verifier) at the token endpoint. */
    public static Tokens exchange(String issuer, String clientId, AuthorizationCode code)
            throws IOException, InterruptedException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("grant_type", "authorization_code");
        params.put("code", code.code());
        params.put("redirect_uri", code.redirectUri());
        params.put("client_id", clientId);
        params.put("code_verifier", code.codeVerifier());
        HttpResponse<String> r = newClient().send(
                HttpRequest.newBuilder(URI.create(issuer + "/protocol/openid-connect/token")).timeout(TIMEOUT)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form(params))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("token endpoint answered HTTP " + r.statusCode() + ": " + abbreviate(r.body()));
        }
        String access = jsonString(r.body(), "access_token")
                .orElseThrow(() -> new IOException("no access_token in " + abbreviate(r.body())));
        return new Tokens(access, jsonString(r.body(), "id_token").orElse(null),
                jsonString(r.body(), "refresh_token").orElse(null), r.body());
    }

    /**
     * A client-credentials token (services and partners), for tests that want one next to a person's.
     */
    public static String clientCredentials(String issuer, String clientId, String clientSecret)
            throws IOException, InterruptedException {
        return clientCredentials(issuer, clientId, clientSecret, null);
    }

    /** The same, asking for {@code scope} (none when null). */
    public static String clientCredentials(String issuer, String clientId, String clientSecret, String scope)
            throws IOException, InterruptedException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("grant_type", "client_credentials");
        params.put("client_id", clientId);
        params.put("client_secret", clientSecret);
        if (scope != null) {
            params.put("scope", scope);
        }
        HttpResponse<String> r = newClient().send(
                HttpRequest.newBuilder(URI.create(issuer + "/protocol/openid-connect/token")).timeout(TIMEOUT)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form(params))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("token endpoint answered HTTP " + r.statusCode() + " for client " + clientId + ": "
                    + abbreviate(r.body()));
        }
        return jsonString(r.body(), "access_token")
                .orElseThrow(() -> new IOException("no access_token in " + abbreviate(r.body())));
    }

    // ---------------------------------------------------------------------------------------------------------

    private static HttpClient newClient() {
        return HttpClient.newBuilder()
                .cookieHandler(new LoopbackCookieJar())
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static HttpRequest get(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", "text/html").GET().build();
    }

    private static boolean isRedirect(HttpResponse<?> r) {
        int s = r.statusCode();
        return (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && r.headers().firstValue("Location").isPresent();
    }

    private static URI location(HttpResponse<?> r) {
        return r.uri().resolve(r.headers().firstValue("Location").orElseThrow());
    }

    private static boolean isRedirectUri(URI location, String redirectUri) {
        String l = location.toString();
        return l.equals(redirectUri) || l.startsWith(redirectUri + "?") || l.startsWith(redirectUri + "#");
    }

    private static AuthorizationCode codeFrom(URI location, String state, String redirectUri, String verifier)
            throws LoginFailedException {
        Map<String, String> q = parseQuery(location.getRawQuery());
        if (q.containsKey("error")) {
            throw new LoginFailedException("authorization failed: " + q.get("error")
                    + Optional.ofNullable(q.get("error_description")).map(d -> " (" + d + ")").orElse(""));
        }
        if (!state.equals(q.get("state"))) {
            throw new LoginFailedException("state mismatch in redirect " + location);
        }
        String code = q.get("code");
        if (code == null || code.isEmpty()) {
            throw new LoginFailedException("no code in redirect " + location);
        }
        return new AuthorizationCode(code, verifier, redirectUri);
    }

    /** The action of the login form (Keycloak's {@code kc-form-login}, else the first POST form). */
    static Optional<URI> loginFormAction(URI pageUri, String html) {
        String fallback = null;
        Matcher forms = FORM_TAG.matcher(html);
        while (forms.find()) {
            String tag = forms.group();
            Matcher action = ACTION_ATTR.matcher(tag);
            if (!action.find()) {
                continue;
            }
            String url = htmlUnescape(action.group(1));
            if (tag.contains("id=\"kc-form-login\"")) {
                return Optional.of(pageUri.resolve(url));
            }
            if (fallback == null && tag.toLowerCase().contains("method=\"post\"")) {
                fallback = url;
            }
        }
        return Optional.ofNullable(fallback).map(pageUri::resolve);
    }

    private static Optional<String> errorText(String html) {
        Matcher m = ERROR_TEXT.matcher(html);
        if (m.find()) {
            return Optional.of(htmlUnescape(m.group(1)));
        }
        return Optional.empty();
    }

    private static String htmlUnescape(String s) {
        return s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&#x27;", "'")
                .replace("&lt;", "<").replace("&gt;", ">");
    }

    private static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery == null) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    private static String form(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    /**
     * A top-level string member of a token response (a flat JSON object). A plain scan, no regex: token responses
     * are several KB long.
     */
    static Optional<String> jsonString(String json, String name) {
        String key = "\"" + name + "\"";
        int from = 0;
        while (true) {
            int k = json.indexOf(key, from);
            if (k < 0) {
                return Optional.empty();
            }
            int i = k + key.length();
            while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
                i++;
            }
            if (i >= json.length() || json.charAt(i) != ':') {
                from = k + 1; // the name appeared as a value, not a key
                continue;
            }
            i++;
            while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
                i++;
            }
            if (i >= json.length() || json.charAt(i) != '"') {
                return Optional.empty(); // not a string (null, number, ...)
            }
            StringBuilder out = new StringBuilder();
            for (i++; i < json.length(); i++) {
                char c = json.charAt(i);
                if (c == '"') {
                    return Optional.of(out.toString());
                }
                if (c == '\\' && i + 1 < json.length()) {
                    char e = json.charAt(++i);
                    switch (e) {
                        case 'n' -> out.append('\n');
                        case 't' -> out.append('\t');
                        case 'r' -> out.append('\r');
                        case 'b' -> out.append('\b');
                        case 'f' -> out.append('\f');
                        case 'u' -> {
                            if (i + 4 >= json.length()) {
                                return Optional.empty();
                            }
                            out.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                        default -> out.append(e); // \" \\ \/
                    }
                } else {
                    out.append(c);
                }
            }
            return Optional.empty(); // unterminated
        }
    }

    private static String randomToken(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String s256(String verifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String s) {
        String oneLine = s.replaceAll("\\s+", " ");
        return oneLine.length() <= 400 ? oneLine : oneLine.substring(0, 400) + "...";
    }

    /**
     * A browser-like cookie jar for one login. Keycloak marks its login cookies {@code Secure; SameSite=None} even
     * over http; browsers still send them to loopback origins (127.0.0.1, localhost count as secure contexts) but
     * {@link java.net.CookieManager} never sends a Secure cookie over http, so the login form would fail with
     * Keycloak's "cookie not found". Host-only cookies; values are sent back exactly as received.
     */
    static final class LoopbackCookieJar extends CookieHandler {
        private record Cookie(String host, String name, String value, String path, boolean secure, Instant expires) {
        }

        private final List<Cookie> cookies = new ArrayList<>();

        @Override
        public synchronized Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) {
            Instant now = Instant.now();
            cookies.removeIf(c -> c.expires() != null && !c.expires().isAfter(now));
            String host = host(uri);
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            boolean secureOk = "https".equalsIgnoreCase(uri.getScheme()) || isLoopback(host);
            List<String> pairs = new ArrayList<>();
            for (Cookie c : cookies) {
                if (c.host().equals(host) && pathMatches(path, c.path()) && (!c.secure() || secureOk)) {
                    pairs.add(c.name() + "=" + c.value());
                }
            }
            return pairs.isEmpty() ? Map.of() : Map.of("Cookie", List.of(String.join("; ", pairs)));
        }

        @Override
        public synchronized void put(URI uri, Map<String, List<String>> responseHeaders) {
            for (Map.Entry<String, List<String>> h : responseHeaders.entrySet()) {
                if (h.getKey() != null && h.getKey().equalsIgnoreCase("Set-Cookie")) {
                    h.getValue().forEach(v -> store(uri, v));
                }
            }
        }

        private void store(URI uri, String header) {
            String[] parts = header.split(";");
            int eq = parts[0].indexOf('=');
            if (eq <= 0) {
                return;
            }
            String name = parts[0].substring(0, eq).trim();
            String value = parts[0].substring(eq + 1).trim();
            String path = defaultPath(uri);
            boolean secure = false;
            Instant expires = null;
            for (int i = 1; i < parts.length; i++) {
                String attr = parts[i].trim();
                int aeq = attr.indexOf('=');
                String key = (aeq < 0 ? attr : attr.substring(0, aeq)).trim().toLowerCase(Locale.ROOT);
                String val = aeq < 0 ? "" : attr.substring(aeq + 1).trim();
                switch (key) {
                    case "path" -> path = val.startsWith("/") ? val : path;
                    case "secure" -> secure = true;
                    case "max-age" -> {
                        try {
                            expires = Instant.now().plusSeconds(Long.parseLong(val));
                        } catch (NumberFormatException ignored) {
                            // keep the previous expiry
                        }
                    }
                    case "expires" -> {
                        if (expires == null) {
                            try {
                                expires = ZonedDateTime.parse(val, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                            } catch (DateTimeParseException ignored) {
                                // a session cookie then
                            }
                        }
                    }
                    default -> {
                        // Domain (host-only here), HttpOnly, SameSite, Version: nothing to do
                    }
                }
            }
            String host = host(uri);
            String p = path;
            cookies.removeIf(c -> c.host().equals(host) && c.name().equals(name) && c.path().equals(p));
            cookies.add(new Cookie(host, name, value, path, secure, expires));
        }

        private static String host(URI uri) {
            return uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        }

        private static boolean isLoopback(String host) {
            return host.equals("localhost") || host.endsWith(".localhost") || host.startsWith("127.")
                    || host.equals("[::1]") || host.equals("::1");
        }

        private static String defaultPath(URI uri) {
            String p = uri.getRawPath();
            if (p == null || !p.startsWith("/") || p.lastIndexOf('/') == 0) {
                return "/";
            }
            return p.substring(0, p.lastIndexOf('/'));
        }

        private static boolean pathMatches(String requestPath, String cookiePath) {
            if (requestPath.equals(cookiePath)) {
                return true;
            }
            if (!requestPath.startsWith(cookiePath)) {
                return false;
            }
            return cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length()) == '/';
        }
    }
}
