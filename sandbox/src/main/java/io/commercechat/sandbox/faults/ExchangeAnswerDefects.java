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

    private record Setting(boolean omitAccountIds, CallsLeft left) {
        static final Setting NONE = new Setting(false, CallsLeft.of(null));

        boolean inForce() {
            return omitAccountIds && left.inForce();
        }
    }

    private final AtomicReference<Setting> setting = new AtomicReference<>(Setting.NONE);

    /** The next {@code calls} answers (every answer when null) name no account; false: answers are whole again. */
    public void omitAccountIds(boolean omit, Integer calls) {
        CallsLeft left = CallsLeft.of(calls);
        setting.set(omit ? new Setting(true, left) : Setting.NONE);
    }

    public void reset() {
        setting.set(Setting.NONE);
    }

    /** Whether answers leave the account ids out now. */
    public boolean omitsAccountIds() {
        return setting.get().inForce();
    }

    /** How many more answers leave them out; empty: until changed (or not at all). */
    public Optional<Integer> callsLeft() {
        Setting s = setting.get();
        return s.inForce() ? s.left().count() : Optional.empty();
    }

    /** Whether this answer leaves the account ids out (one of the next answers' taken if so). */
    public boolean takeOmitAccountIds() {
        Setting s = setting.get();
        return s.omitAccountIds() && s.left().take();
    }
}
