package io.commercechat.accounts.link;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.proto.accounts.v1.AccountType;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class LinkedAccountTest {

    @Test
    void anAccountTypeTheBankAddedLaterIsStoredAsUnspecifiedAndStillShown() {
        // what a bank's ListAccounts answer parses to when it names a type this build does not know
        LinkedAccount a = LinkedAccount.of(UUID.randomUUID(), 0, "acc-1", "Everyday", AccountType.UNRECOGNIZED, "EUR",
                LinkedAccount.mask("DE89370400440532013000"));
        assertEquals(AccountType.ACCOUNT_TYPE_UNSPECIFIED, a.type);
        assertEquals(AccountType.ACCOUNT_TYPE_UNSPECIFIED, LinkMapper.toProto(a, "sandbox-bank").getType());
        // known types are kept
        assertEquals(AccountType.ACCOUNT_TYPE_CURRENT, LinkedAccount.of(UUID.randomUUID(), 0, "acc-2", "Main",
                AccountType.ACCOUNT_TYPE_CURRENT, "EUR", LinkedAccount.mask("1234")).type);
    }
}
