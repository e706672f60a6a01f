package io.commercechat.chat.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.error.ChatFailure;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/**
 * A peer's failure as the person is told it. After a deadline or an unknown or internal error a changing call may have
 * been carried out (a revocation committed late): its answer must not say that nothing was changed.
 */
class PeerFailuresTest {

    private static ChatFailure translate(Status.Code code, boolean changes) {
        return (ChatFailure) PeerFailures.translate(Status.fromCode(code).withDescription("consent-service: late").asRuntimeException(),
                "Your privacy settings", "RevokeConsent", "the consent", changes);
    }

    @Test
    void aChangeWhoseOutcomeIsUnknownIsNotSaidToHaveChangedNothing() {
        for (Status.Code code : new Status.Code[] {Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN, Status.Code.INTERNAL}) {
            ChatFailure f = translate(code, true);
            assertEquals(ChatFailure.Kind.UNAVAILABLE, f.kind(), code.name());
            assertEquals("temporarily-unavailable", f.type(), code.name());
            assertFalse(f.getMessage().contains("nothing was changed"), code + ": " + f.getMessage());
            assertTrue(f.getMessage().startsWith("Your privacy settings"), f.getMessage());
            assertTrue(f.getMessage().contains("look again before you try again"), f.getMessage());
        }
        ChatFailure notRun = (ChatFailure) PeerFailures.translate(new IllegalStateException("no channel"), "Your privacy settings",
                "RevokeConsent", "the consent", true);
        assertFalse(notRun.getMessage().contains("nothing was changed"), "a failure it cannot place says so either");
    }

    @Test
    void aReadOrAPeerThatWasNotReachedChangedNothing() {
        for (Status.Code code : new Status.Code[] {Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN, Status.Code.INTERNAL,
                Status.Code.UNAVAILABLE}) {
            assertTrue(translate(code, false).getMessage().endsWith("nothing was changed, try again in a minute"), code.name());
        }
        // UNAVAILABLE as the peers and gRPC use it: the call was not taken (down, refused, or the peer says so)
        assertTrue(translate(Status.Code.UNAVAILABLE, true).getMessage().endsWith("nothing was changed, try again in a minute"));
        assertEquals(ChatFailure.Kind.PRECONDITION, translate(Status.Code.FAILED_PRECONDITION, true).kind());
    }
}
