package io.commercechat.testkit;

import java.util.List;
import java.util.Map;

/**
 * chat-service's configuration of the sandbox's bank and shop ({@code chat.businesses.*}), for the packaged jar, whose
 * prod profile configures no business (dev and test profiles have the same lines in application.properties).
 */
public final class SandboxBusinesses {

    public static final Map<String, String> CONFIG = Map.of(
            "chat.businesses.sandbox-bank.display-name", "Sandbox Bank",
            "chat.businesses.sandbox-bank.kind", "BANK",
            "chat.businesses.sandbox-bank.partner-bank-id", "sandbox-bank",
            "chat.businesses.demo-shop.display-name", "Demo Shop",
            "chat.businesses.demo-shop.kind", "SHOP");

    private SandboxBusinesses() {}

    /** The same as -D options of a JVM. */
    public static List<String> systemProperties() {
        return CONFIG.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> "-D" + e.getKey() + "=" + e.getValue()).toList();
    }
}
