package io.commercechat.accounts.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.commercechat.proto.accounts.v1.Transaction;
import io.commercechat.proto.partner.v1.BankAccount;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BankAnswersTest {

    private static final BankAccount GOOD = BankAccount.newBuilder().setAccountId("acc_1-A").setCurrency("EUR")
            .setDisplayName("Everyday").setAccountNumber("DE89370400440532013000").build();

    @Test
    void anAccountAndALinkIdWithinWhatIsKeptPass() {
        assertEquals(GOOD, BankAnswers.account("sandbox-bank", GOOD));
        assertEquals("x".repeat(255), BankAnswers.bankLinkId("sandbox-bank", "x".repeat(255)));
        assertNull(BankAnswers.bankLinkId("sandbox-bank", ""));
        assertNull(BankAnswers.tokenExpiry("sandbox-bank", ExchangeCodeResponse.getDefaultInstance()), "the bank did not say");
        assertEquals(Instant.ofEpochSecond(1_800_000_000L, 5), BankAnswers.tokenExpiry("sandbox-bank", ExchangeCodeResponse
                .newBuilder().setAccessTokenExpiresAt(Timestamp.newBuilder().setSeconds(1_800_000_000L).setNanos(5)).build()));
    }

    @Test
    void anAnswerBeyondItIsTheBanksFaultNamedForThePerson() {
        for (BankAccount bad : new BankAccount[] {
                GOOD.toBuilder().setAccountId("").build(),
                GOOD.toBuilder().setAccountId("a".repeat(65)).build(),
                GOOD.toBuilder().setAccountId("acc 1").build(),
                GOOD.toBuilder().setCurrency("EURO").build(),
                GOOD.toBuilder().setCurrency("eur").build(),
                GOOD.toBuilder().setCurrency("QQQ").build(),
                GOOD.toBuilder().setDisplayName("Every\0day").build(),
                GOOD.toBuilder().setAccountNumber("DE8937040044053201\0000").build()}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> BankAnswers.account("sandbox-bank", bad));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with"), e.getStatus().getDescription());
            assertTrue(!e.getStatus().getDescription().contains("DE89"), "no account number in the answer");
        }
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> BankAnswers.bankLinkId("sandbox-bank", "x".repeat(256)));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> BankAnswers.bankLinkId("sandbox-bank", "bl\0x"));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        // beyond year 9999: no timestamp can hold it, so no expiry could be kept
        ExchangeCodeResponse farFuture = ExchangeCodeResponse.newBuilder()
                .setAccessTokenExpiresAt(Timestamp.newBuilder().setSeconds(253_402_300_800L)).build();
        e = assertThrows(StatusRuntimeException.class, () -> BankAnswers.tokenExpiry("sandbox-bank", farFuture));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with a token expiry"),
                e.getStatus().getDescription());
        e = BankAnswers.endlessAccountList("sandbox-bank", 20);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with an account list longer than 20 pages"),
                e.getStatus().getDescription());
    }

    /** A bank that ignores the window (or sends more than a page) never gets data past the consent to the person. */
    @Test
    void transactionsOutsideTheWindowAreDroppedAndALongerPageIsTheBanksFault() {
        Instant from = Instant.parse("2026-09-01T00:00:00Z");
        Instant to = Instant.parse("2026-12-01T00:00:00Z");
        Transaction before = booked("b", from.minusNanos(1));
        Transaction first = booked("f", from);
        Transaction inside = booked("i", Instant.parse("2026-10-10T10:10:10Z"));
        Transaction last = booked("l", to);
        Transaction after = booked("a", to.plusSeconds(1));
        Transaction undated = Transaction.newBuilder().setId("u").build();
        Transaction farOut = Transaction.newBuilder().setId("x").setBookedAt(Timestamp.newBuilder().setSeconds(Long.MIN_VALUE)).build();
        assertEquals(List.of(first, inside, last), BankAnswers.transactions("sandbox-bank",
                List.of(before, first, inside, last, after, undated, farOut), from, to, 7));

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> BankAnswers.transactions("sandbox-bank", List.of(first, inside, last), from, to, 2));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with more transactions than the 2"),
                e.getStatus().getDescription());
    }

    /** The accounts a bank names for the consent: its fault when a consent could not name one, else the person's choice. */
    @Test
    void accountIdsAConsentCannotNameAreTheBanksFaultAndTooManyAreThePersonsToChooseAgain() {
        List<String> fifty = java.util.stream.IntStream.rangeClosed(1, 50).mapToObj(i -> "acc-" + i).toList();
        assertEquals(fifty, BankAnswers.accountIds("sandbox-bank", fifty));
        for (String bad : new String[] {"12345678:GBP", "", "a".repeat(65)}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> BankAnswers.accountIds("sandbox-bank", List.of("acc-1", bad)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), bad);
            assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with an account id"), bad);
        }
        List<String> fiftyOne = new java.util.ArrayList<>(fifty);
        fiftyOne.add("acc-51");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> BankAnswers.accountIds("sandbox-bank", fiftyOne));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("at most 50"), e.getStatus().getDescription());
    }

    /** The contract requires at least one: the consent is authorised for them before the bank's list is read. */
    @Test
    void anExchangeThatNamesNoAccountIsTheBanksFault() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> BankAnswers.accountIds("sandbox-bank", List.of()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals("bank sandbox-bank answered with a code exchange that names none of the accounts you selected; nothing"
                + " was linked, try again later", e.getStatus().getDescription());
    }

    private static Transaction booked(String id, Instant at) {
        return Transaction.newBuilder().setId(id)
                .setBookedAt(Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano())).build();
    }
}
