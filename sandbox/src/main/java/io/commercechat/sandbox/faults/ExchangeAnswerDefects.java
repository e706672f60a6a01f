package io.commercechat.sandbox.faults;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Makes the bank's ExchangeCode answers break the partner contract on purpose (test hook), so that the platform's
 * handling of a defective bank can be tried against a real exchange: {@link #omitAccountIds} leaves out the accounts
 * the person selected, which bank_connector.proto requires (at least one). The token and link are issued as usual.
 */
@ApplicationScoped
public class ExchangeAnswerDefects {

    /** How long answers leave the account ids out; null: answers are whole. */
    private final AtomicReference<CallsLeft> omitting = new AtomicReference<>();

    /** The next {@code calls} answers (every answer when null) name no account; false: answers are whole again. */
    public void omitAccountIds(boolean omit, Integer calls) {
        CallsLeft left = CallsLeft.of(calls);
        omitting.set(omit ? left : null);
    }

    public void reset() {
        omitting.set(null);
    }

    /** Whether answers leave the account ids out now. */
    public boolean omitsAccountIds() {
        CallsLeft left = omitting.get();
        return left != null && left.inForce();
    }

    /** How many more answers leave them out; empty: until changed (or not at all). */
    public Optional<Integer> callsLeft() {
        CallsLeft left = omitting.get();
        return left == null ? Optional.empty() : left.count();
    }

    /** Whether this answer leaves the account ids out (one of the next answers' taken if so). */
    public boolean takeOmitAccountIds() {
        CallsLeft left = omitting.get();
        return left != null && left.take();
    }
}
