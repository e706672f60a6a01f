package io.commercechat.accounts.client;

import io.commercechat.accounts.config.AccountsConfig;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The one place that builds outgoing gRPC channels (consent-service and every partner bank), from
 * configured endpoints: plaintext inside the dev mesh, TLS (system trust store) when configured.
 */
@ApplicationScoped
public class GrpcChannels {

    private final List<ManagedChannel> open = new CopyOnWriteArrayList<>();

    public ManagedChannel open(AccountsConfig.Endpoint endpoint) {
        ChannelCredentials credentials = endpoint.tls() ? TlsChannelCredentials.create() : InsecureChannelCredentials.create();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(endpoint.host(), endpoint.port(), credentials)
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
