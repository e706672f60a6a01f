package io.commercechat.accounts.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.BankAccount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class BankAnswersTest {

    private static final BankAccount GOOD = BankAccount.newBuilder().setAccountId("acc_1-A").setCurrency("EUR")
            .setDisplayName("Everyday").setAccountNumber("DE89370400440532013000").build();

    @Test
    void anAccountAndALinkIdWithinWhatIsKeptPass() {
        assertEquals(GOOD, BankAnswers.account("sandbox-bank", GOOD));
        assertEquals("x".repeat(255), BankAnswers.bankLinkId("sandbox-bank", "x".repeat(255)));
        assertNull(BankAnswers.bankLinkId("sandbox-bank", ""));
    }

    @Test
    void anAnswerBeyondItIsTheBanksFaultNamedForThePerson() {
        for (BankAccount bad : new BankAccount[] {
                GOOD.toBuilder().setAccountId("").build(),
                GOOD.toBuilder().setAccountId("a".repeat(65)).build(),
                GOOD.toBuilder().setAccountId("acc 1").build(),
                GOOD.toBuilder().setCurrency("EURO").build(),
                GOOD.toBuilder().setCurrency("eur").build()}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> BankAnswers.account("sandbox-bank", bad));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("bank sandbox-bank answered with"), e.getStatus().getDescription());
            assertTrue(!e.getStatus().getDescription().contains("DE89"), "no account number in the answer");
        }
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> BankAnswers.bankLinkId("sandbox-bank", "x".repeat(256)));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }
}
