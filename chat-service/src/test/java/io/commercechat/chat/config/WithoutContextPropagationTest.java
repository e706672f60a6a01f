package io.commercechat.chat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.infrastructure.CallbackDecorator;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.infrastructure.MultiInterceptor;
import io.smallrye.mutiny.infrastructure.UniInterceptor;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Mutiny's callbacks run as written, without SmallRye Context Propagation around each ({@link WithoutContextPropagation}),
 * and clearing Mutiny's interceptors removes nothing else: context propagation is the only one on the class path. A
 * dependency that brings another (tracing, say) fails here, so that it is not switched off unnoticed.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class WithoutContextPropagationTest {

    @Test
    void mutinyCallbacksAreNotWrappedOnceTheServiceHasStarted() {
        Runnable callback = () -> {};
        Function<String, String> mapper = s -> s;
        assertSame(callback, Infrastructure.decorate(callback));
        assertSame(mapper, Infrastructure.decorate(mapper));
    }

    @Test
    void contextPropagationIsTheOnlyMutinyInterceptorThatClearingRemoves() {
        List<String> interceptors = Stream.of(CallbackDecorator.class, UniInterceptor.class, MultiInterceptor.class)
                .flatMap(type -> ServiceLoader.load(type).stream())
                .map(provider -> provider.type().getName())
                .toList();
        assertEquals(List.of("io.smallrye.mutiny.context.DefaultContextPropagationInterceptor"), interceptors);
    }
}
