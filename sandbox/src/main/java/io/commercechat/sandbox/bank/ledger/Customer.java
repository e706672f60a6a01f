package io.commercechat.sandbox.bank.ledger;

/** A sandbox bank customer the person can "sign in" as on the authorisation page. */
public record Customer(String id, String displayName, String homeCurrency, String employer, boolean hasTravelWallet) {}
