package io.commercechat.chat.webclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ContentSecurityPolicyTest {

    @Test
    void anOriginIsSchemeHostAndPortOfTheConfiguredUrl() {
        assertEquals("https://login.example.com", ContentSecurityPolicy.origin("https://Login.Example.com/realms/commerce-chat"));
        assertEquals("http://127.0.0.1:8180", ContentSecurityPolicy.origin(" http://127.0.0.1:8180/realms/commerce-chat/ "));
        assertEquals("https://oauth2.example.net:8443", ContentSecurityPolicy.origin("HTTPS://oauth2.example.net:8443"));
    }

    @Test
    void aValueThatIsNotAnHttpUrlStopsTheStart() {
        for (String bad : new String[] {"login.example.com", "/realms/x", "javascript:alert(1)", "https://", "*"}) {
            assertThrows(IllegalArgumentException.class, () -> ContentSecurityPolicy.origin(bad), bad);
        }
    }
}
