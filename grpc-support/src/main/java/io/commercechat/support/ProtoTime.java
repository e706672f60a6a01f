package io.commercechat.support;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import java.time.Instant;

/** google.protobuf.Timestamp <-> Instant; an unset timestamp is null. */
public final class ProtoTime {

    private ProtoTime() {}

    public static Timestamp of(Instant instant) {
        return instant == null ? Timestamp.getDefaultInstance()
                : Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    /** The instant, null when unset; INVALID_ARGUMENT naming the field when out of protobuf's range. */
    public static Instant from(Timestamp ts, String field) {
        if (ts == null || (ts.getSeconds() == 0 && ts.getNanos() == 0)) {
            return null;
        }
        // 0001-01-01 .. 9999-12-31 as protobuf defines it
        if (ts.getSeconds() < -62135596800L || ts.getSeconds() > 253402300799L || ts.getNanos() < 0 || ts.getNanos() > 999_999_999) {
            throw Status.INVALID_ARGUMENT.withDescription(field + " is not a valid timestamp").asRuntimeException();
        }
        return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    }
}
