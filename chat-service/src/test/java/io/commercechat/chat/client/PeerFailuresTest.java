package io.commercechat.chat.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.error.ChatFailure;
import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.RevokeConsentRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A peer's failure as the person is told it. A changing call says that nothing was changed only when it certainly never
 * left (the connection was refused); after anything else (a deadline, an unknown or internal error, a connection that
 * dropped while the call was out) the peer may have carried it out (a revocation committed late).
 */
class PeerFailuresTest {

    private static final String NOTHING_CHANGED = "nothing was changed, try again in a minute";
    private static final String MAY_HAVE_CHANGED = "it may have been done, so look again before you try again";

    private static ChatFailure translate(Throwable failure, boolean changes) {
        return (ChatFailure) PeerFailures.translate(failure, "Your privacy settings", "RevokeConsent", "the consent", changes);
    }

    private static ChatFailure translate(Status.Code code, boolean changes) {
        return translate(Status.fromCode(code).withDescription("consent-service: late").asRuntimeException(), changes);
    }

    @Test
    void aChangeWhoseOutcomeIsUnknownIsNotSaidToHaveChangedNothing() {
        for (Status.Code code : new Status.Code[] {Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN, Status.Code.INTERNAL,
                Status.Code.UNAVAILABLE, Status.Code.CANCELLED}) {
            ChatFailure f = translate(code, true);
            assertEquals(ChatFailure.Kind.UNAVAILABLE, f.kind(), code.name());
            assertEquals("temporarily-unavailable", f.type(), code.name());
            assertFalse(f.getMessage().contains("nothing was changed"), code + ": " + f.getMessage());
            assertTrue(f.getMessage().startsWith("Your privacy settings"), f.getMessage());
            assertTrue(f.getMessage().endsWith(MAY_HAVE_CHANGED), f.getMessage());
        }
        assertTrue(translate(new IllegalStateException("no channel"), true).getMessage().endsWith(MAY_HAVE_CHANGED),
                "a failure it cannot place says so either");
    }

    /** No route to the peer, or its name did not resolve (a missing Service): no connection was made either. */
    @Test
    void aChangeThatFoundNoWayToThePeerChangedNothing() {
        for (Throwable noWay : new Throwable[] {new java.net.UnknownHostException("consent-service"),
                new java.net.NoRouteToHostException("no route")}) {
            var failure = Status.UNAVAILABLE.withDescription("Unable to resolve host consent-service").withCause(noWay)
                    .asRuntimeException();
            assertTrue(translate(failure, true).getMessage().endsWith(NOTHING_CHANGED), noWay.toString());
        }
    }

    @Test
    void aReadChangedNothing() {
        for (Status.Code code : new Status.Code[] {Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN, Status.Code.INTERNAL,
                Status.Code.UNAVAILABLE, Status.Code.CANCELLED}) {
            assertTrue(translate(code, false).getMessage().endsWith(NOTHING_CHANGED), code.name());
        }
        assertEquals(ChatFailure.Kind.PRECONDITION, translate(Status.Code.FAILED_PRECONDITION, true).kind());
    }

    /** Nothing listens at the peer's address: grpc-java's UNAVAILABLE carries the refused connect, the call never left. */
    @Test
    void aChangeToAPeerThatRefusedTheConnectionChangedNothing() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", closedPort).usePlaintext().build();
        try {
            // the first call connects; the second finds the channel failing already and is answered with that failure
            for (int call = 1; call <= 2; call++) {
                StatusRuntimeException refused = revoke(channel);
                assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
                assertTrue(refused.getCause() instanceof ConnectException, "call " + call + ": " + refused.getCause());
                assertTrue(translate(refused, true).getMessage().endsWith(NOTHING_CHANGED), translate(refused, true).getMessage());
            }
        } finally {
            channel.shutdownNow();
        }
    }

    /** The peer took the call and the connection dropped before an answer: UNAVAILABLE too, but it may have been done. */
    @Test
    void aChangeWhoseConnectionDroppedMidCallMayHaveBeenDone() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread takesTheCallAndDrops = new Thread(() -> {
                try (Socket s = peer.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    in.readFully(new byte[24]); // the client's HTTP/2 preface
                    s.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // our (empty) SETTINGS
                    s.getOutputStream().flush();
                    // frames until the call's message (DATA) has arrived; then the connection drops unanswered
                    for (;;) {
                        int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                        int type = in.readUnsignedByte();
                        in.readFully(new byte[5 + length]); // flags, stream id, payload
                        if (type == 0) {
                            return;
                        }
                    }
                } catch (IOException ignored) {
                    // the test sees what the client got
                }
            }, "drops-mid-call");
            takesTheCallAndDrops.start();
            StatusRuntimeException dropped = revokeAt(peer.getLocalPort());
            takesTheCallAndDrops.join(5000);
            assertEquals(Status.Code.UNAVAILABLE, dropped.getStatus().getCode(), dropped.toString());
            assertTrue(translate(dropped, true).getMessage().endsWith(MAY_HAVE_CHANGED), translate(dropped, true).getMessage());
            assertTrue(translate(dropped, false).getMessage().endsWith(NOTHING_CHANGED));
        }
    }

    /** A RevokeConsent over a real grpc-java channel (the transport chat-service's clients use), as it fails. */
    private static StatusRuntimeException revokeAt(int port) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            return revoke(channel);
        } finally {
            channel.shutdownNow();
        }
    }

    private static StatusRuntimeException revoke(ManagedChannel channel) {
        return assertThrows(StatusRuntimeException.class, () -> ConsentServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .revokeConsent(RevokeConsentRequest.newBuilder().setConsentId("c-1").build()));
    }
}
