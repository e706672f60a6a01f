package io.commercechat.sandbox.faults;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** How long a setting made at runtime holds: for the next n calls, or for every call until it is changed. */
final class CallsLeft {

    /** null: until changed. */
    private final AtomicInteger left;

    private CallsLeft(AtomicInteger left) {
        this.left = left;
    }

    /** For the next {@code calls} calls (at least 1); every call until changed when null. */
    static CallsLeft of(Integer calls) {
        if (calls != null && calls < 1) {
            throw new IllegalArgumentException("calls must be at least 1");
        }
        return new CallsLeft(calls == null ? null : new AtomicInteger(calls));
    }

    boolean inForce() {
        return left == null || left.get() > 0;
    }

    /** How many more calls it holds for; empty when until changed, or spent. */
    Optional<Integer> count() {
        return left == null || left.get() <= 0 ? Optional.empty() : Optional.of(left.get());
    }

    /** Whether it holds for this call, which it then counts. */
    boolean take() {
        return left == null || left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }
}
