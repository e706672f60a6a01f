package io.commercechat.accounts.link;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.proto.accounts.v1.AccountType;
import io.commercechat.proto.consent.v1.Permission;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LinkedAccountTest {

    @Test
    void anAccountTypeTheBankAddedLaterIsStoredAsUnspecifiedAndStillShown() {
        // what a bank's ListAccounts answer parses to when it names a type this build does not know
        LinkedAccount a = LinkedAccount.of(UUID.randomUUID(), 0, "acc-1", "Everyday", AccountType.UNRECOGNIZED, "EUR",
                LinkedAccount.mask("DE89370400440532013000"));
        assertEquals(AccountType.ACCOUNT_TYPE_UNSPECIFIED, a.type);
        assertEquals(AccountType.ACCOUNT_TYPE_UNSPECIFIED, LinkMapper.toProto(a, link()).getType());
        // known types are kept
        assertEquals(AccountType.ACCOUNT_TYPE_CURRENT, LinkedAccount.of(UUID.randomUUID(), 0, "acc-2", "Main",
                AccountType.ACCOUNT_TYPE_CURRENT, "EUR", LinkedAccount.mask("1234")).type);
    }

    @Test
    void theMaskedNumberIsShownOnlyUnderAccountsDetail() {
        // a row stored before ACCOUNTS_DETAIL was enforced may hold a number: it is not shown under a consent without it
        LinkedAccount a = LinkedAccount.of(UUID.randomUUID(), 0, "acc-1", "Everyday", AccountType.ACCOUNT_TYPE_CURRENT, "EUR",
                LinkedAccount.mask("DE89370400440532013000"));
        assertEquals("", LinkMapper.toProto(a, link()).getMaskedNumber());
        assertEquals("•••• 3000", LinkMapper.toProto(a, link(Permission.PERMISSION_ACCOUNTS_DETAIL)).getMaskedNumber());
        a.maskedNumber = "";
        assertEquals("", LinkMapper.toProto(a, link(Permission.PERMISSION_ACCOUNTS_DETAIL)).getMaskedNumber());
    }

    private static Link link(Permission... more) {
        Link l = new Link();
        l.bankId = "sandbox-bank";
        l.permissions = Link.join(Stream.concat(Stream.of(Permission.PERMISSION_ACCOUNTS_BASIC), Stream.of(more)).toList());
        return l;
    }
}
