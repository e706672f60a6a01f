package io.commercechat.chat.config;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Turns off SmallRye Context Propagation for Mutiny in chat-service. Quarkus brings it with Mutiny, and it wraps every
 * operator: it captures the thread's contexts when a pipeline is built and restores them around each callback. Here
 * nothing needs that. Every pipeline runs on a Vert.x context, where Quarkus keeps the request context, the caller's
 * identity and the reactive session on the context itself, and the hops off it come back to it: a token's first
 * verification through Quarkus' own {@code runBlocking} ({@code VerifiedTokens}), a batch's deadline through
 * {@code MessageWriter}, which completes each send on its sender's context. The capture also includes the JTA transaction
 * context (Narayana comes with Flyway's JDBC datasource; nothing here uses it), which puts every capture on SmallRye's
 * slow path. It cost about a quarter of chat-service's CPU and a seventh of its allocation on the send and delivery
 * path (benchmark/RESULTS.md, eighth session of 2026-12-07). Cleared before any other startup work builds a pipeline.
 */
@ApplicationScoped
public class WithoutContextPropagation {

    void start(@Observes @Priority(1) StartupEvent ignored) {
        Infrastructure.clearInterceptors();
    }
}
