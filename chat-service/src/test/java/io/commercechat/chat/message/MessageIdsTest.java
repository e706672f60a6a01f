package io.commercechat.chat.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageIdsTest {

    @Test
    void anIdIsVersion7WithItsMillisecondFirstAndTheRandomBitsKept() {
        UUID random = UUID.fromString("f47ac10b-58cc-4372-a567-0e02b2c3d479");  // version 4
        UUID id = MessageIds.at(0x0192_3456_789AL, random);
        assertEquals("01923456-789a-7372-a567-0e02b2c3d479", id.toString());
        assertEquals(7, id.version());
        assertEquals(2, id.variant());  // RFC 9562 (IETF) variant
    }

    @Test
    void idsAreUniqueAndOrderedByTheirMillisecond() throws InterruptedException {
        Set<UUID> seen = new HashSet<>();
        UUID earlier = MessageIds.next();
        Thread.sleep(2);
        for (int i = 0; i < 10_000; i++) {
            UUID id = MessageIds.next();
            assertEquals(7, id.version());
            assertTrue(seen.add(id), "unique");
            // the first 48 bits are the time: a later millisecond sorts after, as an index on the id compares them
            assertTrue(Long.compareUnsigned(id.getMostSignificantBits() >>> 16, earlier.getMostSignificantBits() >>> 16) > 0);
        }
    }
}
