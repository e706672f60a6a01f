package io.commercechat.chat.client;

import com.google.protobuf.Timestamp;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.support.ProtoTime;
import io.grpc.StatusRuntimeException;
import java.time.Instant;

/**
 * A time in a peer's answer. account-link-service passes a partner bank's balances and transactions on as the
 * bank sent them, so a time can be outside what a timestamp may hold; the person then gets a 503 problem
 * (the data cannot be shown now), never a 500, and the assistant says so instead of going silent.
 */
public final class PeerTimes {

    private static final String UNUSABLE = "peer-data-unusable";

    private PeerTimes() {}

    /** The failure {@link #from} throws for a time that cannot be shown. */
    public static boolean isUnusable(Throwable f) {
        return f instanceof ChatFailure c && UNUSABLE.equals(c.type());
    }

    /** The instant, null when unset. */
    public static Instant from(Timestamp ts, String field) {
        try {
            return ProtoTime.from(ts, field);
        } catch (StatusRuntimeException outOfRange) {
            throw ChatFailure.unavailable(UNUSABLE, "your bank's or the consent service's answer carried a "
                    + field + " that cannot be shown; nothing was changed, try again later");
        }
    }
}
