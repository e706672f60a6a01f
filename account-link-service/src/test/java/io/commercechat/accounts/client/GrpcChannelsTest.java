package io.commercechat.accounts.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.ConsentServiceGrpc;
import io.commercechat.proto.consent.v1.GetReceiptKeysRequest;
import io.commercechat.proto.consent.v1.GetReceiptKeysResponse;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer name that resolves to several replicas (a headless Service answers every ready pod) gets its calls spread
 * over all of them, not all sent down the first connection (grpc-java's default, pick_first).
 */
class GrpcChannelsTest {

    /** Stands in for DNS answering a headless Service: this test's own scheme, so no other channel in the JVM sees it. */
    private static final String SCHEME = "replicas-test";

    private final List<Server> replicas = new ArrayList<>();
    private final GrpcChannels channels = new GrpcChannels();
    private NameResolverProvider resolver;

    @Test
    void callsAreSpreadOverEveryReplicaTheNameResolvesTo() throws Exception {
        List<AtomicInteger> served = List.of(new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
        List<SocketAddress> addresses = new ArrayList<>();
        for (AtomicInteger count : served) {
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new ConsentServiceGrpc.ConsentServiceImplBase() {
                        @Override
                        public void getReceiptKeys(GetReceiptKeysRequest request, StreamObserver<GetReceiptKeysResponse> answer) {
                            count.incrementAndGet();
                            answer.onNext(GetReceiptKeysResponse.getDefaultInstance());
                            answer.onCompleted();
                        }
                    }).build().start();
            replicas.add(server);
            addresses.add(server.getListenSockets().get(0));
        }
        resolver = fixedAnswer(addresses);
        NameResolverRegistry.getDefaultRegistry().register(resolver);

        ManagedChannel channel = channels.open(Grpc.newChannelBuilder(SCHEME + ":///consent-service-grpc", InsecureChannelCredentials.create()));
        var stub = ConsentServiceGrpc.newBlockingStub(channel);
        // round_robin takes a replica into the rotation as soon as its connection is ready, so the first calls may
        // favour the first ready one (on a loaded machine for a while): call until every replica has served three,
        // which pick_first, sending every call to one, never gets to
        int calls = 0;
        while (calls < 300 && served.stream().anyMatch(count -> count.get() < 3)) {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).getReceiptKeys(GetReceiptKeysRequest.getDefaultInstance());
            calls++;
        }

        assertEquals(calls, served.stream().mapToInt(AtomicInteger::get).sum());
        for (int r = 0; r < served.size(); r++) {
            assertTrue(served.get(r).get() >= 3, "replica " + r + " served " + served.get(r).get() + " of " + calls + " calls: " + served);
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        channels.close();
        if (resolver != null) NameResolverRegistry.getDefaultRegistry().deregister(resolver);
        for (Server s : replicas) s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static NameResolverProvider fixedAnswer(List<SocketAddress> addresses) {
        return new NameResolverProvider() {
            @Override
            public NameResolver newNameResolver(URI target, NameResolver.Args args) {
                if (!SCHEME.equals(target.getScheme())) return null;
                return new NameResolver() {
                    @Override
                    public String getServiceAuthority() {
                        return "consent-service-grpc";
                    }

                    @Override
                    public void start(Listener2 listener) {
                        listener.onResult(ResolutionResult.newBuilder()
                                .setAddresses(addresses.stream().map(EquivalentAddressGroup::new).toList()).build());
                    }

                    @Override
                    public void shutdown() {
                    }
                };
            }

            @Override
            public String getDefaultScheme() {
                return SCHEME;
            }

            @Override
            protected boolean isAvailable() {
                return true;
            }

            @Override
            protected int priority() {
                return 0;  // never the default scheme: only targets written replicas-test:/// reach it
            }
        };
    }
}
