package io.commercechat.chat.grpc;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Instant -> google.protobuf.Timestamp; null is the unset timestamp. */
public final class ProtoTime {

    private ProtoTime() {}

    public static Timestamp of(Instant instant) {
        return instant == null ? Timestamp.getDefaultInstance()
                : Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
