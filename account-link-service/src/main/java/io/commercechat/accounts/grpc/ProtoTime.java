package io.commercechat.accounts.grpc;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** google.protobuf.Timestamp <-> Instant; an unset timestamp is null. */
public final class ProtoTime {

    private ProtoTime() {}

    public static Timestamp of(Instant instant) {
        return instant == null ? Timestamp.getDefaultInstance()
                : Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    public static Instant from(Timestamp ts, String field) {
        if (ts == null || (ts.getSeconds() == 0 && ts.getNanos() == 0)) {
            return null;
        }
        // 0001-01-01 .. 9999-12-31 as protobuf defines it
        if (ts.getSeconds() < -62135596800L || ts.getSeconds() > 253402300799L || ts.getNanos() < 0 || ts.getNanos() > 999_999_999) {
            throw GrpcErrors.invalid(field + " is not a valid timestamp");
        }
        return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    }
}
