package io.commercechat.chat;

import io.commercechat.proto.partner.v1.BusinessMessagingGrpc;
import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.proto.partner.v1.SubscribeRequest;
import io.commercechat.proto.partner.v1.SubscribeResponse;
import io.commercechat.testkit.GrpcCalls;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A business's Subscribe stream that a test can read from and cut off mid-stream. */
public final class InboxSubscriber implements AutoCloseable {

    private final BlockingQueue<InboxEvent> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    private volatile ClientCallStreamObserver<SubscribeRequest> call;

    public static InboxSubscriber open(Channel channel, String token, long afterPosition) {
        InboxSubscriber s = new InboxSubscriber();
        BusinessMessagingGrpc.newStub(channel).withCallCredentials(GrpcCalls.bearer(token))
                .subscribe(SubscribeRequest.newBuilder().setAfterPosition(afterPosition).build(),
                        new ClientResponseObserver<SubscribeRequest, SubscribeResponse>() {
                            @Override
                            public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                                s.call = requestStream;
                            }

                            @Override
                            public void onNext(SubscribeResponse value) {
                                s.events.add(value.getEvent());
                            }

                            @Override
                            public void onError(Throwable t) {
                                s.errors.add(t);
                            }

                            @Override
                            public void onCompleted() {
                                s.errors.add(new IllegalStateException("the stream ended"));
                            }
                        });
        return s;
    }

    public InboxEvent next(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public List<InboxEvent> take(int n, Duration timeout) throws InterruptedException {
        List<InboxEvent> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < n) {
            long left = deadline - System.nanoTime();
            InboxEvent e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("only " + out.size() + " of " + n + " events; errors: " + errors);
            }
            out.add(e);
        }
        return out;
    }

    /** The first error the stream ended with, waiting up to the timeout. */
    public Throwable error(Duration timeout) throws InterruptedException {
        return errors.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (call != null) {
            call.cancel("test disconnects", null);
        }
    }
}
