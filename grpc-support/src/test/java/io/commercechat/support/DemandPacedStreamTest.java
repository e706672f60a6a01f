package io.commercechat.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiSubscriber;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Over a real gRPC connection on loopback: a server that sends while its stream is ready (as consent-service's
 * WatchConsentEvents does) sends only about what the subscriber asked for plus the transport's window, not its whole
 * log; the rest follows as the subscriber asks; cancelling the subscription cancels the call.
 */
class DemandPacedStreamTest {

    private static final int LOG_SIZE = 20_000;
    /** 1 KiB a message: the transport's flow-control window (1 MiB) holds about a thousand. */
    private static final String EVENT = "e".repeat(1024);

    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> FOLLOW = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING).setFullMethodName("test.Log/Follow")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    private final AtomicInteger sent = new AtomicInteger();
    private final CountDownLatch cancelled = new CountDownLatch(1);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        ServerServiceDefinition log = ServerServiceDefinition.builder("test.Log")
                .addMethod(FOLLOW, ServerCalls.asyncServerStreamingCall((String request, StreamObserver<String> out) -> {
                    ServerCallStreamObserver<String> stream = (ServerCallStreamObserver<String>) out;
                    stream.setOnCancelHandler(cancelled::countDown);
                    AtomicBoolean done = new AtomicBoolean();
                    stream.setOnReadyHandler(() -> {
                        while (stream.isReady() && !done.get()) {
                            if (sent.get() == LOG_SIZE) {
                                done.set(true);
                                stream.onCompleted();
                            } else {
                                stream.onNext(EVENT);
                                sent.incrementAndGet();
                            }
                        }
                    });
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(log).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private Multi<String> follow() {
        return DemandPacedStream.follow((String request, StreamObserver<String> observer) -> ClientCalls
                .asyncServerStreamingCall(channel.newCall(FOLLOW, CallOptions.DEFAULT), request, observer), "from 0");
    }

    /** A subscriber that asks for {@code first} items, then only what the test asks for. */
    private static final class Taker implements MultiSubscriber<String> {
        private final long first;
        final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        final AtomicInteger received = new AtomicInteger();
        final CountDownLatch completed = new CountDownLatch(1);

        Taker(long first) {
            this.first = first;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.set(s);
            s.request(first);
        }

        @Override
        public void onItem(String item) {
            received.incrementAndGet();
        }

        @Override
        public void onFailure(Throwable failure) {}

        @Override
        public void onCompletion() {
            completed.countDown();
        }

        void awaitReceived(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
    }

    @Test
    void theServerSendsWhatIsAskedForNotTheWholeLog() throws Exception {
        Taker taker = new Taker(10);
        follow().subscribe().withSubscriber(taker);
        taker.awaitReceived(10);
        // an unpaced stream goes on until the whole log is sent, however slowly; a paced one stops at the window
        int settled = sentOnceItStops();
        assertTrue(settled < 3_000, "the server sent " + settled + " of " + LOG_SIZE
                + ": about the transport's window, held back by flow control");
        assertEquals(10, taker.received.get(), "what was asked for reached the subscriber, and no more");

        taker.subscription.get().request(Long.MAX_VALUE);
        assertTrue(taker.completed.await(30, TimeUnit.SECONDS), "the rest follows when asked for");
        assertEquals(LOG_SIZE, taker.received.get());
    }

    /** What the server has sent once that has not grown for a second (or once the log is sent; 30 s at most). */
    private int sentOnceItStops() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int last = -1;
        long since = System.nanoTime();
        for (;;) {
            int now = sent.get();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (now == LOG_SIZE || System.nanoTime() - since >= TimeUnit.SECONDS.toNanos(1)) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server was still sending after 30 s: " + now + " of " + LOG_SIZE);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void cancellingTheSubscriptionCancelsTheCall() throws Exception {
        Taker taker = new Taker(5);  // a few: the log is not over when the subscription is cancelled
        follow().subscribe().withSubscriber(taker);
        taker.awaitReceived(5);
        assertEquals(5, taker.received.get());
        taker.subscription.get().cancel();
        assertTrue(cancelled.await(5, TimeUnit.SECONDS), "the server saw the call cancelled");
        assertTrue(sent.get() < LOG_SIZE, "cancelled before the end of the log");
    }
}
