package io.commercechat.sandbox.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;

/** The sandbox's typed configuration outside Quarkus, for tests that build its beans by hand. */
public final class SandboxConfigs {

    private SandboxConfigs() {}

    /** The defaults of {@link SandboxConfig}, with {@code properties} (e.g. {@code sandbox.agent.enabled=true}) over them. */
    public static SandboxConfig with(Map<String, String> properties) {
        return new SmallRyeConfigBuilder().withMapping(SandboxConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter()) // "500ms", as Quarkus reads it
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build().getConfigMapping(SandboxConfig.class);
    }
}
