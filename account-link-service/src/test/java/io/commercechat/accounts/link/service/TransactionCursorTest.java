package io.commercechat.accounts.link.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.accounts.link.service.BankDataReader.TransactionCursor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Our cursor over a bank's transaction pages: every cursor handed out is accepted back. */
class TransactionCursorTest {

    private static final Instant FROM = Instant.parse("2026-09-01T00:00:00.123456789Z");
    private static final Instant TO = Instant.parse("2026-12-06T10:15:30.987654321Z");

    @Test
    void aCursorHandedOutIsAcceptedBackUpToTheLongestBankToken() {
        for (int length : new int[] {1, 100, 500, 680}) {
            String bankToken = "t".repeat(length);
            String cursor = new TransactionCursor(FROM, TO, bankToken).encode("sandbox-bank");
            assertTrue(cursor.length() <= BankDataReader.MAX_PAGE_TOKEN, "length " + length + ": " + cursor.length());
            assertEquals(new TransactionCursor(FROM, TO, bankToken), TransactionCursor.decode(cursor));
        }
    }

    /** Before, a bank token over about 325 characters made a cursor the next call refused as not ours. */
    @Test
    void aBankTokenTooLongToPageOnIsTheBanksFault() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> new TransactionCursor(FROM, TO, "t".repeat(800)).encode("sandbox-bank"));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with a page token too long"),
                e.getStatus().getDescription());
    }

    @Test
    void aCursorThatIsNotOursIsInvalid() {
        for (String bad : new String[] {"x".repeat(BankDataReader.MAX_PAGE_TOKEN + 1), "not base64!", "dDF8eA"}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TransactionCursor.decode(bad));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
        }
    }
}
