package io.commercechat.chat.client;

import io.commercechat.support.BearerToken;
import io.grpc.stub.AbstractStub;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A peer's stub as chat-service calls it: with the caller's token, under a deadline, a failure told the way the person
 * knows the peer ({@link PeerFailures}), which depends on whether the call reads or changes something.
 */
final class PeerCalls<S extends AbstractStub<S>> {

    private final S stub;
    private final String peer;
    private final long deadlineMillis;

    /** {@code peer}: the peer as the person knows it ("Your privacy settings"). */
    PeerCalls(S stub, String peer, Duration deadline) {
        this.stub = stub;
        this.peer = peer;
        this.deadlineMillis = deadline.toMillis();
    }

    /** A call that only reads: whatever failed, nothing was done. */
    <T> Uni<T> read(String token, String rpc, String notFoundWhat, Function<S, Uni<T>> call) {
        return call(token, rpc, notFoundWhat, false, call);
    }

    /** A call that changes something at the peer: a failure may come after it was carried out. */
    <T> Uni<T> change(String token, String rpc, String notFoundWhat, Function<S, Uni<T>> call) {
        return call(token, rpc, notFoundWhat, true, call);
    }

    private <T> Uni<T> call(String token, String rpc, String notFoundWhat, boolean changes, Function<S, Uni<T>> call) {
        return Uni.createFrom().deferred(() -> call.apply(stub.withCallCredentials(new BearerToken(token))
                        .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)))
                .onFailure().transform(f -> PeerFailures.translate(f, peer, rpc, notFoundWhat, changes));
    }
}
