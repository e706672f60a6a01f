package io.commercechat.chat.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "chat")
public interface ChatConfig {

    /** HMAC key that derives a person's pairwise person_ref for each business (from a Secret). */
    String personRefKey();

    /** How long a business may answer after the person's last message without an update tag. */
    @WithDefault("PT24H")
    Duration replyWindow();

    /** How long a typing indicator lasts unless repeated. */
    @WithDefault("PT6S")
    Duration typingTtl();

    /** Event streams re-read the inbox at least this often, even without a notification. */
    @WithDefault("PT1S")
    Duration streamPollInterval();

    /** SSE comment lines keep idle connections open through proxies. */
    @WithDefault("PT15S")
    Duration heartbeatInterval();
}
