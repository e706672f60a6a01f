package io.commercechat.accounts.bank;

import io.commercechat.accounts.link.Link;
import io.commercechat.proto.accounts.v1.Transaction;
import io.commercechat.proto.partner.v1.BankAccount;
import io.commercechat.proto.partner.v1.ExchangeCodeResponse;
import io.commercechat.support.ContractFormats;
import io.commercechat.support.ProtoTime;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A bank's answers during a link are checked before anything of them is stored or passed on: the bank is a
 * partner, and what this service keeps (and consent-service takes) has limits of its own. An answer outside
 * them is the bank's fault, so the person gets UNAVAILABLE naming the bank, never INTERNAL or INVALID_ARGUMENT.
 */
public final class BankAnswers {

    private BankAnswers() {}

    public static BankAccount account(String bankId, BankAccount a) {
        requireAccountId(bankId, a.getAccountId());
        if (!ContractFormats.isCurrency(a.getCurrency())) {
            throw unusable(bankId, "a currency that is not a three-letter ISO 4217 code");
        }
        // stored (the name, the number's last digits) in PostgreSQL text, which cannot hold NUL
        if (hasNul(a.getDisplayName()) || hasNul(a.getAccountNumber())) {
            throw unusable(bankId, "an account name or number with a NUL character");
        }
        return a;
    }

    /**
     * The accounts the bank says the person selected, as the consent will name them. None, or an id a consent cannot
     * name, is the bank's fault (UNAVAILABLE naming it): the contract requires at least one, since the consent is
     * authorised for them before anything is read at the bank. More accounts than one consent covers is the person's
     * choice at the bank, which they can make again (FAILED_PRECONDITION saying so). Nothing is linked either way.
     */
    public static List<String> accountIds(String bankId, List<String> ids) {
        if (ids.isEmpty()) {
            throw unusable(bankId, "a code exchange that names none of the accounts you selected");
        }
        ids.forEach(id -> requireAccountId(bankId, id));
        if (ids.size() > ContractFormats.MAX_CONSENT_ACCOUNTS) {
            throw Status.FAILED_PRECONDITION.withDescription("you chose " + ids.size() + " accounts at bank " + bankId
                    + "; one link covers at most " + ContractFormats.MAX_CONSENT_ACCOUNTS
                    + ": link again and choose fewer (you can link the others separately)").asRuntimeException();
        }
        return ids;
    }

    /** The bank's id for the link, or null when it gave none. */
    public static String bankLinkId(String bankId, String id) {
        if (id.isEmpty()) {
            return null;
        }
        if (id.length() > Link.MAX_BANK_LINK_ID) {
            throw unusable(bankId, "a link id longer than " + Link.MAX_BANK_LINK_ID + " characters");
        }
        if (hasNul(id)) {
            throw unusable(bankId, "a link id with a NUL character");
        }
        return id;
    }

    /** When the bank's token expires (null: the bank did not say). */
    public static Instant tokenExpiry(String bankId, ExchangeCodeResponse exchanged) {
        if (!exchanged.hasAccessTokenExpiresAt()) {
            return null;
        }
        try {
            return ProtoTime.from(exchanged.getAccessTokenExpiresAt(), "access_token_expires_at");
        } catch (StatusRuntimeException outOfRange) {
            throw unusable(bankId, "a token expiry that is not a valid timestamp");
        }
    }

    /** The bank gave a link id that another link with it already has (a unique key refused it). */
    public static StatusRuntimeException bankLinkIdTaken(String bankId) {
        return unusable(bankId, "a link id it had already given for another link");
    }

    /** The bank's account list went on for more than {@code pages} pages (its page tokens never ended). */
    public static StatusRuntimeException endlessAccountList(String bankId, int pages) {
        return unusable(bankId, "an account list longer than " + pages + " pages");
    }

    /**
     * A page of transactions kept to what was asked: the window (which the consent allows) and the page size. A bank
     * may ignore the window (some do once they have a page token); what it sends outside it is data the person did
     * not agree to share here, so it is dropped, never passed on. A page longer than asked for would make our cursor
     * and the bank's disagree: UNAVAILABLE naming the bank.
     */
    public static List<Transaction> transactions(String bankId, List<Transaction> page, Instant from, Instant to, int size) {
        if (page.size() > size) {
            throw Status.UNAVAILABLE.withDescription("bank " + bankId + " answered with more transactions than the "
                    + size + " asked for; try again later").asRuntimeException();
        }
        List<Transaction> kept = new ArrayList<>(page.size());
        for (Transaction t : page) {
            if (t.hasBookedAt() && !booked(t).isBefore(from) && !booked(t).isAfter(to)) {
                kept.add(t);
            }
        }
        return kept;
    }

    private static Instant booked(Transaction t) {
        // the largest or smallest instant for a timestamp out of range: outside any window
        long seconds = Math.max(Instant.MIN.getEpochSecond(), Math.min(Instant.MAX.getEpochSecond(), t.getBookedAt().getSeconds()));
        return Instant.ofEpochSecond(seconds, Math.floorMod(t.getBookedAt().getNanos(), 1_000_000_000));
    }

    /** An account id as a consent can name it, or the bank's fault. */
    private static void requireAccountId(String bankId, String id) {
        if (!ContractFormats.isAccountId(id)) {
            throw unusable(bankId, "an account id that is not 1-64 letters, digits, '_' or '-'");
        }
    }

    private static boolean hasNul(String text) {
        return text.indexOf('\0') >= 0;
    }

    private static StatusRuntimeException unusable(String bankId, String what) {
        return Status.UNAVAILABLE.withDescription("bank " + bankId + " answered with " + what + "; nothing was linked, try again later")
                .asRuntimeException();
    }
}
