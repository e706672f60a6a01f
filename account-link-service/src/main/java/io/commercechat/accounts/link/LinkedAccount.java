package io.commercechat.accounts.link;

import io.commercechat.proto.accounts.v1.AccountType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * An account of a link: the bank's account id, names and the masked number (never the full number). Kept while the
 * link is ACTIVE; when it ends, what the bank said about the account is erased and the row stays as a tombstone (id,
 * link, position, the bank's account id, {@link #erasedAt}), so that a read of the account is still refused as one of
 * an ended link, and logged as such (V6).
 */
@Entity
@Table(name = "linked_accounts")
public class LinkedAccount {

    @Id
    public UUID id;

    public UUID linkId;

    /** Order in which the bank listed the account. */
    @Column(name = "position")
    public int listPosition;

    public String bankAccountId;
    public String displayName;

    @Enumerated(EnumType.STRING)
    public AccountType type;

    public String currency;
    public String maskedNumber;
    /** When the bank data above was erased (its link ended); null while it is kept. */
    public Instant erasedAt;

    public static LinkedAccount of(UUID linkId, int position, String bankAccountId, String displayName, AccountType type,
            String currency, String maskedNumber) {
        LinkedAccount a = new LinkedAccount();
        a.id = UUID.randomUUID();
        a.linkId = linkId;
        a.listPosition = position;
        a.bankAccountId = bankAccountId;
        a.displayName = displayName;
        // a type the bank added after our contract was compiled is stored as unspecified: UNRECOGNIZED has no
        // number, and every later view of the link would fail on it
        a.type = type == AccountType.UNRECOGNIZED ? AccountType.ACCOUNT_TYPE_UNSPECIFIED : type;
        a.currency = currency;
        a.maskedNumber = maskedNumber;
        return a;
    }

    /** "•••• 4821": the last four characters of the number, nothing else. */
    public static String mask(String accountNumber) {
        String compact = accountNumber == null ? "" : accountNumber.replaceAll("\\s", "");
        if (compact.length() < 8) {
            return "••••";
        }
        return "•••• " + compact.substring(compact.length() - 4);
    }
}
