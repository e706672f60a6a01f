package io.commercechat.accounts.link.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.accounts.link.service.BankDataReader.TransactionCursor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.commercechat.accounts.link.Link;
import java.time.Duration;
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

    /**
     * The window is sent to the bank as protobuf Timestamps (0001-01-01 to 9999-12-31): a forged cursor beyond them is
     * not ours, refused before the read is checked (before, it was checked, recorded, and sent to the bank).
     */
    @Test
    void aCursorWhoseWindowNoTimestampHoldsIsInvalid() {
        for (String window : new String[] {"2026-09-01T00:00:00Z|+10000-01-01T00:00:00Z", "0000-12-31T00:00:00Z|2026-12-06T00:00:00Z",
                "-1000000000-01-01T00:00:00Z|+1000000000-12-31T23:59:59Z"}) {
            String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("t1|" + window + "|bank-page-2")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TransactionCursor.decode(forged), window);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), window);
            assertEquals("page_token is not a token from a previous response", e.getStatus().getDescription());
        }
        Instant first = Instant.parse("0001-01-01T00:00:00Z");
        Instant last = Instant.parse("9999-12-31T23:59:59.999999999Z");
        assertEquals(new TransactionCursor(first, last, "p"), TransactionCursor.decode(new TransactionCursor(first, last, "p")
                .encode("sandbox-bank")), "the edges are timestamps");
    }

    /**
     * The history limit moves on a day at UTC midnight; a cursor handed out before it keeps its window for its later
     * pages (the bank binds its page token to the exact window and would refuse a moved one), while a first page
     * after midnight gets the new limit.
     */
    @Test
    void aCursorHandedOutBeforeMidnightPagesOnAfterIt() {
        Link link = new Link();
        link.transactionFrom = Instant.parse("2025-01-01T00:00:00Z");
        Duration history = Duration.ofDays(365);
        Instant beforeMidnight = Instant.parse("2026-06-01T23:59:00Z");
        Instant afterMidnight = beforeMidnight.plusSeconds(120);
        TransactionCursor first = BankDataReader.clip(new TransactionCursor(Instant.parse("2020-01-01T00:00:00Z"),
                beforeMidnight, ""), link, beforeMidnight, history);
        assertEquals(Instant.parse("2025-06-01T00:00:00Z"), first.from(), "365 days back, whole days");
        TransactionCursor next = BankDataReader.clip(new TransactionCursor(first.from(), first.to(), "bank-page-2"), link,
                afterMidnight, history);
        assertEquals(first.from(), next.from(), "the same window for the bank's next page");
        TransactionCursor fresh = BankDataReader.clip(new TransactionCursor(Instant.parse("2020-01-01T00:00:00Z"),
                afterMidnight, ""), link, afterMidnight, history);
        assertEquals(Instant.parse("2025-06-02T00:00:00Z"), fresh.from(), "a new first page: the new limit");
    }
}
