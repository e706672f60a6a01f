package io.commercechat.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real Keycloak with the shipped commerce-chat realm: one instance for the whole class (it takes ~20 s to start).
 */
class KeycloakRealmTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String REDIRECT = "http://localhost:5173/callback";

    private static KeycloakLauncher.Handle keycloak;

    @BeforeAll
    static void startKeycloak() throws IOException {
        Path home = Path.of(System.getProperty("keycloak.home", "target/keycloak/keycloak-26.5.6"));
        Path dir = Path.of(System.getProperty("identity.test.dir", "target/keycloak-test"));
        deleteRecursively(dir); // a fresh database (the realm file is imported every run) and log
        // a shared 2-core machine: give the first start (which re-augments Keycloak) more than the default 90 s
        keycloak = KeycloakLauncher.start(home, KeycloakLauncher.freePort(), dir.resolve("data"),
                dir.resolve("keycloak.log"), Duration.ofSeconds(240));
    }

    @AfterAll
    static void stopKeycloak() {
        if (keycloak != null) {
            keycloak.stop();
            assertFalse(keycloak.isAlive(), "Keycloak still running after stop()");
            assertFalse(Files.exists(serverPidFile()), "the server's pid file outlives it");
        }
    }

    private static Path serverPidFile() {
        return Path.of(System.getProperty("identity.test.dir", "target/keycloak-test")).resolve("data")
                .resolve(KeycloakLauncher.SERVER_PID_FILE);
    }

    /**
     * ./mesh finds a Keycloak its launcher left running (killed with SIGKILL) by this file: alive, and on this data dir.
     * kc.sh runs Keycloak's JVM as its child, or becomes it (exec) when it must re-augment first, as on a fresh build.
     */
    @Test
    void theDataDirNamesTheRunningServer() throws Exception {
        long pid = Long.parseLong(Files.readString(serverPidFile()).strip());
        ProcessHandle server = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        assertTrue(server.isAlive());
        String command = server.info().commandLine().orElse("");
        assertTrue(command.contains(serverPidFile().getParent().toAbsolutePath().normalize() + "/"), command);
        assertTrue(command.contains("kc.sh") ? server.descendants().anyMatch(p -> p.info().command().orElse("").endsWith("java"))
                : command.contains("QuarkusEntryPoint"), "kc.sh with its Keycloak JVM, or that JVM: " + command);
    }

    @Test
    void discoveryNamesTheLoopbackIssuerAndEndpoints() throws Exception {
        String issuer = "http://127.0.0.1:" + keycloak.port() + "/realms/commerce-chat";
        assertEquals(issuer, keycloak.issuer());
        JsonNode d = getJson(issuer + "/.well-known/openid-configuration");
        assertEquals(issuer, d.get("issuer").asText());
        assertEquals(keycloak.jwksUrl(), d.get("jwks_uri").asText());
        assertEquals(keycloak.tokenUrl(), d.get("token_endpoint").asText());
        assertEquals(keycloak.authorizationUrl(), d.get("authorization_endpoint").asText());
        JsonNode keys = getJson(keycloak.jwksUrl()).get("keys");
        assertTrue(keys.size() > 0, "JWKS has keys");
    }

    /** account-link-service asks for its mesh token with the scope commerce-chat (accounts.mesh-token-scope). */
    @ParameterizedTest
    @CsvSource({"chat-service,", "consent-service,", "account-link-service,commerce-chat"})
    void servicesGetClientCredentialsTokens(String service, String scope) throws Exception {
        String token = BrowserlessLogin.clientCredentials(keycloak.issuer(), service, service + "-dev-secret", scope);
        JsonNode claims = verifiedClaims(token);
        assertEquals(keycloak.issuer(), claims.get("iss").asText());
        assertTrue(strings(claims.get("aud")).contains("commerce-chat"), "aud: " + claims.get("aud"));
        assertEquals(List.of("service"), strings(claims.get("groups")));
        assertEquals(service, claims.get("sub").asText(), "sub is the service name");
        assertEquals(service, claims.get("azp").asText());
        assertFalse(claims.has("business_id"));
        assertEquals(300, claims.get("exp").asLong() - claims.get("iat").asLong(), "access token lifespan");
    }

    /**
     * A partner bank is a third party: account-link-service's token for it (scope bank-sandbox-bank) carries the bank's
     * audience only and no groups, and a token asked for without a scope carries no audience of the mesh either.
     */
    @Test
    void accountLinkServicesTokenForTheBankIsNoTokenForTheMesh() throws Exception {
        JsonNode forBank = verifiedClaims(BrowserlessLogin.clientCredentials(keycloak.issuer(), "account-link-service",
                "account-link-service-dev-secret", "bank-sandbox-bank"));
        assertEquals(List.of("sandbox-bank"), strings(forBank.get("aud")));
        assertEquals("account-link-service", forBank.get("azp").asText());
        assertFalse(forBank.has("groups"), forBank.toString());

        JsonNode unscoped = verifiedClaims(BrowserlessLogin.clientCredentials(keycloak.issuer(), "account-link-service",
                "account-link-service-dev-secret"));
        assertFalse(unscoped.has("aud") && strings(unscoped.get("aud")).contains("commerce-chat"), unscoped.toString());
        assertFalse(unscoped.has("groups"), unscoped.toString());
    }

    /** The bank's scope is account-link-service's alone: another client asking for it is refused. */
    @ParameterizedTest
    @ValueSource(strings = {"chat-service", "consent-service", "sandbox-bank"})
    void onlyAccountLinkServiceGetsTokensForTheBank(String client) throws Exception {
        IOException refused = assertThrows(IOException.class, () -> BrowserlessLogin.clientCredentials(keycloak.issuer(),
                client, client + "-dev-secret", "bank-sandbox-bank"));
        assertTrue(refused.getMessage().contains("HTTP 400") && refused.getMessage().contains("invalid_scope"),
                refused.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sandbox-bank", "demo-shop"})
    void partnersGetClientCredentialsTokensWithTheirBusinessId(String partner) throws Exception {
        String token = BrowserlessLogin.clientCredentials(keycloak.issuer(), partner, partner + "-dev-secret");
        JsonNode claims = verifiedClaims(token);
        assertEquals(keycloak.issuer(), claims.get("iss").asText());
        assertTrue(strings(claims.get("aud")).contains("commerce-chat"), "aud: " + claims.get("aud"));
        assertEquals(List.of("partner"), strings(claims.get("groups")));
        assertEquals(partner, claims.get("business_id").asText());
        assertNotNull(claims.get("sub"));
        assertFalse(claims.get("sub").asText().isBlank());
    }

    @ParameterizedTest
    @CsvSource({"chat-service,wrong", "consent-service,chat-service-dev-secret", "sandbox-bank,demo-shop-dev-secret"})
    void aWrongClientSecretIsRefused(String client, String secret) throws Exception {
        HttpResponse<String> r = postForm(keycloak.tokenUrl(),
                "grant_type=client_credentials&client_id=" + client + "&client_secret=" + secret);
        assertEquals(401, r.statusCode(), r.body());
    }

    /**
     * No client of the realm takes a password at the token endpoint: not the web client, nor the command-line client
     * Keycloak adds to every realm with the password grant on (the realm declares it, switched off).
     */
    @ParameterizedTest
    @ValueSource(strings = {"web", "admin-cli"})
    void noClientHasThePasswordGrant(String client) throws Exception {
        HttpResponse<String> r = postForm(keycloak.tokenUrl(),
                "grant_type=password&client_id=" + client + "&username=alice&password=alice-demo");
        assertTrue(r.statusCode() == 400 || r.statusCode() == 401, client + ": " + r.statusCode() + " " + r.body());
        assertFalse(r.body().contains("access_token"), client);
    }

    @Test
    void theWebClientRequiresPkce() throws Exception {
        String url = keycloak.authorizationUrl() + "?client_id=web&response_type=code&scope=openid&redirect_uri="
                + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, r.statusCode());
        String location = r.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith(REDIRECT + "?") && location.contains("error=invalid_request"), location);
        assertFalse(location.contains("code="), location);
    }

    @Test
    void theWebClientRefusesForeignRedirectUris() throws Exception {
        IOException e = assertThrows(IOException.class, () -> BrowserlessLogin.login(keycloak.issuer(), "web",
                "http://evil.example/callback", "alice", "alice-demo"));
        assertTrue(e.getMessage().contains("400"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "alice,alice-demo,http://localhost:5173/callback,7e0c5a52-2f6b-4d0e-9a1c-a11ce0000001",
        "bob,bob-demo,http://127.0.0.1:8080/,7e0c5a52-2f6b-4d0e-9a1c-b0b000000002",
        "carol,carol-demo,http://localhost:41999/auth/done,7e0c5a52-2f6b-4d0e-9a1c-ca2010000003"})
    void peopleLogInWithAuthorizationCodeAndPkce(String user, String password, String redirectUri, String sub) throws Exception {
        BrowserlessLogin.Tokens tokens = BrowserlessLogin.loginForTokens(keycloak.issuer(), "web", redirectUri, user, password);
        JsonNode claims = verifiedClaims(tokens.accessToken());
        assertEquals(keycloak.issuer(), claims.get("iss").asText());
        assertTrue(strings(claims.get("aud")).contains("commerce-chat"), "aud: " + claims.get("aud"));
        assertEquals(List.of("user"), strings(claims.get("groups")));
        // the realm fixes each person's id: every service keys their chats, links and consents by sub, so a Keycloak
        // database made again from the realm file (a changed realm, a wiped .mesh/keycloak, a dev pod restarted) must
        // give them the same one, or they are cut off from data (and consents) they can no longer see or revoke
        assertEquals(sub, claims.get("sub").asText());
        assertEquals("web", claims.get("azp").asText());
        assertEquals(user, claims.get("preferred_username").asText());
        assertEquals(user + "@example.com", claims.get("email").asText());
        assertTrue(claims.get("email_verified").asBoolean());
        assertFalse(claims.has("business_id"));
        assertEquals(300, claims.get("exp").asLong() - claims.get("iat").asLong());
        assertNotNull(tokens.idToken(), "openid scope gives an ID token");
    }

    @Test
    void aWrongPasswordYieldsNoCode() {
        BrowserlessLogin.LoginFailedException e = assertThrows(BrowserlessLogin.LoginFailedException.class,
                () -> BrowserlessLogin.authorizationCode(keycloak.issuer(), "web", REDIRECT, "alice", "not-alices-password"));
        // the login page again, with Keycloak's message (not some other failure such as a lost cookie)
        assertTrue(e.getMessage().contains("HTTP 200") && e.getMessage().contains("Invalid username or password"),
                e.getMessage());
    }

    /**
     * The web client keeps its refresh token in the browser: each is good for one refresh, so a stolen one that the
     * client has already used is refused (and one the thief uses first ends the client's session at its next refresh).
     */
    @Test
    void aRefreshTokenIsGoodForOneRefresh() throws Exception {
        BrowserlessLogin.Tokens tokens = BrowserlessLogin.loginForTokens(keycloak.issuer(), "web", REDIRECT, "alice", "alice-demo");
        assertNotNull(tokens.refreshToken());
        HttpResponse<String> first = postForm(keycloak.tokenUrl(), "grant_type=refresh_token&client_id=web&refresh_token="
                + tokens.refreshToken());
        assertEquals(200, first.statusCode(), first.body());
        String next = JSON.readTree(first.body()).get("refresh_token").asText();
        assertNotEquals(tokens.refreshToken(), next, "a new refresh token with each refresh");
        HttpResponse<String> again = postForm(keycloak.tokenUrl(), "grant_type=refresh_token&client_id=web&refresh_token="
                + tokens.refreshToken());
        assertEquals(400, again.statusCode(), again.body());
        assertTrue(again.body().contains("invalid_grant"), again.body());
        JsonNode session = JSON.readTree(first.body());
        assertTrue(session.get("refresh_expires_in").asLong() <= 1800, "the session ends after 30 idle minutes: " + session);
    }

    @Test
    void aCodeCannotBeRedeemedWithoutItsVerifier() throws Exception {
        BrowserlessLogin.AuthorizationCode code =
                BrowserlessLogin.authorizationCode(keycloak.issuer(), "web", REDIRECT, "bob", "bob-demo");
        BrowserlessLogin.AuthorizationCode forged =
                new BrowserlessLogin.AuthorizationCode(code.code(), "x".repeat(43), code.redirectUri());
        IOException e = assertThrows(IOException.class, () -> BrowserlessLogin.exchange(keycloak.issuer(), "web", forged));
        assertTrue(e.getMessage().contains("400"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Decodes the JWT payload after checking its RS256 signature against the realm's JWKS. */
    private static JsonNode verifiedClaims(String jwt) throws Exception {
        String[] parts = jwt.split("\\.");
        assertEquals(3, parts.length, "a signed JWT");
        JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertEquals("RS256", header.get("alg").asText());
        String kid = header.get("kid").asText();
        JsonNode jwk = null;
        for (JsonNode k : getJson(keycloak.jwksUrl()).get("keys")) {
            if (kid.equals(k.path("kid").asText()) && "RSA".equals(k.path("kty").asText())) {
                jwk = k;
            }
        }
        assertNotNull(jwk, "JWKS has the token's key " + kid);
        PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                new BigInteger(1, Base64.getUrlDecoder().decode(jwk.get("n").asText())),
                new BigInteger(1, Base64.getUrlDecoder().decode(jwk.get("e").asText()))));
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(key);
        rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(rs256.verify(Base64.getUrlDecoder().decode(parts[2])), "signature verifies against the JWKS");
        return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    }

    /** A claim that may be a string or an array of strings (aud). */
    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else {
            out.add(node.asText());
        }
        return out;
    }

    private static JsonNode getJson(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> postForm(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
