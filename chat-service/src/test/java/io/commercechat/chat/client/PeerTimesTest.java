package io.commercechat.chat.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.chat.error.ChatFailure;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PeerTimesTest {

    @Test
    void aTimeInRangeIsReadAndAnUnsetOneIsNull() {
        Instant at = Instant.parse("2026-03-01T10:15:30.123456789Z");
        assertEquals(at, PeerTimes.from(Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build(),
                "booked_at"));
        assertNull(PeerTimes.from(Timestamp.getDefaultInstance(), "booked_at"));
    }

    @Test
    void aTimeNoTimestampMayHoldIsAPeerFailureTheRestEdgeAnswersWith503() {
        for (Timestamp bad : new Timestamp[] {
                Timestamp.newBuilder().setSeconds(253402300800L).build(),      // 10000-01-01
                Timestamp.newBuilder().setSeconds(-62135596801L).build(),      // before 0001-01-01
                Timestamp.newBuilder().setSeconds(1).setNanos(-1).build(),
                Timestamp.newBuilder().setSeconds(1).setNanos(1_000_000_000).build()}) {
            ChatFailure f = assertThrows(ChatFailure.class, () -> PeerTimes.from(bad, "booked_at"));
            assertEquals(ChatFailure.Kind.UNAVAILABLE, f.kind());
            assertEquals("peer-data-unusable", f.type());
            assertTrue(f.getMessage().contains("booked_at"), f.getMessage());
        }
    }
}
