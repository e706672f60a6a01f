package io.commercechat.sandbox.bank.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.sandbox.config.MovableClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which links the bank still knows as time passes, on a clock the test moves. */
class BankLinksTest {

    private final MovableClock clock = new MovableClock();
    private final BankLinks links = new BankLinks(clock);

    @Test
    void endedLinksAreKeptForAWhileThenForgottenLiveOnesAreKept() {
        BankLinks.Grant live = grant(clock.instant().plus(Duration.ofDays(90)));
        BankLinks.Grant revoked = grant(clock.instant().plus(Duration.ofDays(90)));
        BankLinks.Grant expired = grant(clock.instant().plus(Duration.ofMinutes(1)));
        assertTrue(links.revokeByToken(revoked.accessToken(), "person unlinked"));

        clock.advance(BankLinks.ENDED_LINK_RETENTION.minus(Duration.ofMinutes(5)));
        grant(clock.instant().plus(Duration.ofDays(90)));  // an exchange sweeps
        assertTrue(links.byId(revoked.link().id()).isPresent(), "a link revoked a while ago is still known");
        assertTrue(links.byId(expired.link().id()).isPresent(), "a link expired a while ago is still known");
        assertRefused(revoked.accessToken());
        assertRefused(expired.accessToken());

        clock.advance(Duration.ofMinutes(10));
        grant(clock.instant().plus(Duration.ofDays(90)));
        assertTrue(links.byId(revoked.link().id()).isEmpty(), "forgotten after the retention");
        assertTrue(links.byId(expired.link().id()).isEmpty(), "forgotten after the retention");
        // its token is forgotten too: RevokeAccess would have ended the expired link had it still known it
        assertFalse(links.revokeByToken(expired.accessToken(), null), "the token of a forgotten link is unknown");
        assertRefused(revoked.accessToken());
        assertEquals(live.link(), links.active(live.accessToken()), "a live link is kept whatever its age");
    }

    private BankLinks.Grant grant(Instant expiresAt) {
        return links.grant("cust-ada", List.of("ada-current"), Set.of(Permission.PERMISSION_ACCOUNTS_BASIC), expiresAt);
    }

    private void assertRefused(String accessToken) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> links.active(accessToken));
        assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
        assertEquals("bank token revoked or unknown", refused.getStatus().getDescription());
    }
}
