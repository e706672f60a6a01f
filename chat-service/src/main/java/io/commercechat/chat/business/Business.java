package io.commercechat.chat.business;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * A bank or shop people chat with, as configured (chat.businesses.*, written at each start by
 * service/BusinessDirectory); banks name their partner bank.
 */
@Entity
@Table(name = "businesses")
public class Business {

    public enum Kind { BANK, SHOP }

    /** What a business id looks like (businesses.id). */
    public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    /** businesses.display_name's length. */
    public static final int MAX_DISPLAY_NAME = 200;

    @Id
    public String id;

    public String displayName;

    @Enumerated(EnumType.STRING)
    public Kind kind;

    /** The bank id account-link-service knows this bank by; null for shops. */
    public String partnerBankId;

    public Instant createdAt;

    /**
     * Configured now: listed for people and open to new conversations. A business no longer configured keeps its
     * conversations' history but is neither.
     */
    public boolean listed;
}
