package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The one place that builds outgoing gRPC channels (consent-service and every partner bank), from
 * configured endpoints: plaintext inside the dev mesh, TLS (system trust store) when configured.
 * Calls go round-robin over every address the host's name resolves to: consent-service's host is a
 * headless Service (every ready pod; k8s/base/grpc-peers.yaml), and a bank may publish several.
 */
@ApplicationScoped
public class GrpcChannels {

    private final List<ManagedChannel> open = new CopyOnWriteArrayList<>();

    public ManagedChannel open(AccountsConfig.Endpoint endpoint) {
        ChannelCredentials credentials = endpoint.tls() ? TlsChannelCredentials.create() : InsecureChannelCredentials.create();
        return open(Grpc.newChannelBuilderForAddress(endpoint.host(), endpoint.port(), credentials));
    }

    ManagedChannel open(ManagedChannelBuilder<?> builder) {
        ManagedChannel channel = builder
                .defaultLoadBalancingPolicy("round_robin")
                // answers are handed to the caller's Vert.x context (CallerContext); until then they run on Quarkus's
                // bounded worker pool, not grpc-java's default executor, which starts a thread per concurrent callback
                .executor(Infrastructure.getDefaultWorkerPool())
                .keepAliveTime(30, TimeUnit.SECONDS)
                .maxInboundMessageSize(4 * 1024 * 1024)
                .build();
        open.add(channel);
        return channel;
    }

    @PreDestroy
    void close() {
        open.forEach(ManagedChannel::shutdownNow);
    }
}
