package io.commercechat.sandbox.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class ValidateTest {

    @Test
    void aRedirectUriWithUserInfoIsRefused() {
        // each reads as loopback or the app at a glance, yet the browser goes to the host after the @
        for (String uri : new String[] {"http://127.0.0.1:@evil.com/cb", "http://127.0.0.1@evil.com/cb",
                "https://app.commercechat.test:secret@evil.com/links/callback", "http://user@127.0.0.1:8080/cb"}) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> Validate.redirectUri(uri), uri);
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), uri);
            assertTrue(refused.getStatus().getDescription().contains("user info"), refused.getStatus().getDescription());
        }
    }

    @Test
    void plainRedirectUrisAreAccepted() {
        for (String uri : new String[] {"http://127.0.0.1:8080/", "https://app.commercechat.test/links/callback?x=1",
                "http://[::1]:8080/cb"}) {
            assertEquals(uri, Validate.redirectUri(uri));
        }
    }
}
