package io.commercechat.support;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * A server stream read only as fast as its subscriber asks: the Multi's demand becomes the call's requests, so gRPC's
 * flow control holds the server back (and a server that waits for readiness, StreamReadiness, waits). Quarkus' Mutiny
 * stubs ask for every message as it arrives and keep what the subscriber has not taken in a queue without a bound: a
 * consumer replaying a long event log one transaction an event would hold the whole log in its heap.
 */
public final class DemandPacedStream {

    private DemandPacedStream() {}

    /**
     * Starts {@code call} (a plain async stub's server-streaming method, e.g. {@code stub::watchConsentEvents}) with
     * {@code request} when the Multi is subscribed; cancelling the subscription cancels the call.
     */
    public static <Q, R> Multi<R> follow(BiConsumer<Q, StreamObserver<R>> call, Q request) {
        return Multi.createFrom().emitter(emitter -> {
            AtomicReference<ClientCallStreamObserver<Q>> started = new AtomicReference<>();
            call.accept(request, new ClientResponseObserver<Q, R>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Q> stream) {
                    stream.disableAutoRequestWithInitial(0);
                    started.set(stream);
                }

                @Override
                public void onNext(R value) {
                    emitter.emit(value);
                }

                @Override
                public void onError(Throwable t) {
                    emitter.fail(t);
                }

                @Override
                public void onCompleted() {
                    emitter.complete();
                }
            });
            // the stub starts the call before it returns; a request before the start would be refused
            ClientCallStreamObserver<Q> stream = started.get();
            emitter.onRequest(n -> stream.request(asInt(n)));
            emitter.onTermination(() -> stream.cancel("the subscriber stopped following the stream", null));
            // what was asked for before the callback above was in place (asked twice, it stays bounded)
            long asked = emitter.requested();
            if (asked > 0) {
                stream.request(asInt(asked));
            }
        }, BackPressureStrategy.BUFFER);
    }

    private static int asInt(long n) {
        return (int) Math.min(n, Integer.MAX_VALUE);
    }
}
