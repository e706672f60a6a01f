package io.commercechat.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The HTML, JSON and cookie handling of {@link BrowserlessLogin}, without a Keycloak. */
class BrowserlessLoginTest {

    @Test
    void readsLongStringMembersOfATokenResponse() {
        String jwt = "eyJhbGciOiJSUzI1NiJ9." + "A".repeat(50_000) + ".sig";
        String json = "{\"access_token\":\"" + jwt + "\",\"expires_in\":300,\"note\":\"a \\\"quoted\\\" \\u00e9 \\/ \\\\\","
                + " \"id_token\" : \"x.y.z\", \"x\":\"access_token\"}";
        assertEquals(Optional.of(jwt), BrowserlessLogin.jsonString(json, "access_token"));
        assertEquals(Optional.of("x.y.z"), BrowserlessLogin.jsonString(json, "id_token"));
        assertEquals(Optional.of("a \"quoted\" \u00e9 / \\"), BrowserlessLogin.jsonString(json, "note"));
        assertEquals(Optional.empty(), BrowserlessLogin.jsonString(json, "expires_in"));
        assertEquals(Optional.empty(), BrowserlessLogin.jsonString(json, "refresh_token"));
    }

    @Test
    void findsKeycloaksLoginFormAction() {
        URI page = URI.create("http://127.0.0.1:8180/realms/commerce-chat/protocol/openid-connect/auth?client_id=web");
        String html = "<html><form id=\"kc-locale\" method=\"get\" action=\"/other\"></form>"
                + "<form id=\"kc-form-login\" onsubmit=\"login.disabled = true; return true;\" "
                + "action=\"http://127.0.0.1:8180/realms/commerce-chat/login-actions/authenticate?session_code=abc&amp;execution=e1&amp;client_id=web&amp;tab_id=t\" method=\"post\">";
        assertEquals(URI.create("http://127.0.0.1:8180/realms/commerce-chat/login-actions/authenticate?session_code=abc&execution=e1&client_id=web&tab_id=t"),
                BrowserlessLogin.loginFormAction(page, html).orElseThrow());
        assertEquals(Optional.empty(), BrowserlessLogin.loginFormAction(page, "<p>no form</p>"));
    }

    @Test
    void sendsSecureCookiesBackToLoopbackOnlyLikeABrowser() throws Exception {
        BrowserlessLogin.LoopbackCookieJar jar = new BrowserlessLogin.LoopbackCookieJar();
        URI auth = URI.create("http://127.0.0.1:8180/realms/commerce-chat/protocol/openid-connect/auth");
        jar.put(auth, Map.of("Set-Cookie", List.of(
                "AUTH_SESSION_ID=abc;Version=1;Path=/realms/commerce-chat/;Secure;HttpOnly;SameSite=None",
                "KC_AUTH_SESSION_HASH=\"h/a=\";Version=1;Path=/realms/commerce-chat/;Max-Age=60;Secure;SameSite=None",
                "GONE=x;Path=/realms/commerce-chat/;Max-Age=0")));
        URI form = URI.create("http://127.0.0.1:8180/realms/commerce-chat/login-actions/authenticate?session_code=1");
        assertEquals(Map.of("Cookie", List.of("AUTH_SESSION_ID=abc; KC_AUTH_SESSION_HASH=\"h/a=\"")), jar.get(form, Map.of()));
        assertTrue(jar.get(URI.create("http://127.0.0.1:8180/realms/master/"), Map.of()).isEmpty(), "path scoped");
        assertTrue(jar.get(URI.create("http://localhost:8180/realms/commerce-chat/x"), Map.of()).isEmpty(), "host only");

        BrowserlessLogin.LoopbackCookieJar remote = new BrowserlessLogin.LoopbackCookieJar();
        remote.put(URI.create("http://idp.example/realms/r/auth"), Map.of("Set-Cookie", List.of("S=1;Path=/;Secure", "P=2;Path=/")));
        assertEquals(Map.of("Cookie", List.of("P=2")), remote.get(URI.create("http://idp.example/realms/r/x"), Map.of()),
                "a Secure cookie is never sent over plain http to a non-loopback host");
        assertEquals(Map.of("Cookie", List.of("S=1; P=2")), remote.get(URI.create("https://idp.example/realms/r/x"), Map.of()));
    }
}
