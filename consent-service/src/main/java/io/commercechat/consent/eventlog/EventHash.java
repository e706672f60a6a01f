package io.commercechat.consent.eventlog;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/** The chained hash of a consent event: SHA-256 over the previous hash and the event's content. */
public final class EventHash {

    /** The previous hash of the very first event. */
    public static final String GENESIS = "0".repeat(64);

    private EventHash() {}

    public static String of(String previousHash, String eventId, String consentId, String type, String actor,
            Instant occurredAt, String snapshot) {
        String canonical = String.join("\n", previousHash, eventId, consentId, type, actor, occurredAt.toString(), snapshot);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
