package io.commercechat.chat.assistant.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.proto.accounts.v1.Balance;
import io.commercechat.proto.accounts.v1.BalanceType;
import io.commercechat.proto.common.v1.Money;
import org.junit.jupiter.api.Test;

/** The assistant's lines for bank data it shows on a card. */
class BankAssistantLinesTest {

    private static final Money AMOUNT = Money.newBuilder().setCurrency("GBP").setUnits(12).setNanos(500_000_000).build();

    @Test
    void aBalanceLineNamesItsType() {
        assertEquals("Available  £12.50", BankAssistant.line(Balance.newBuilder().setType(BalanceType.BALANCE_TYPE_AVAILABLE)
                .setAmount(AMOUNT).build()));
        assertEquals("Credit limit  £12.50", BankAssistant.line(Balance.newBuilder()
                .setType(BalanceType.BALANCE_TYPE_CREDIT_LIMIT).setAmount(AMOUNT).build()));
    }

    /** A bank may send a balance type newer than this build: the card still shows it (this threw before). */
    @Test
    void aBalanceOfATypeThisBuildDoesNotKnowIsStillShown() {
        assertEquals("Balance  £12.50", BankAssistant.line(Balance.newBuilder().setTypeValue(99).setAmount(AMOUNT).build()));
        assertEquals("Balance  £12.50", BankAssistant.line(Balance.newBuilder().setAmount(AMOUNT).build()));
    }
}
