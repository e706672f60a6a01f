package io.commercechat.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** What a stream (SSE, a gRPC server stream) delivered and the test has not read yet, in arrival order. */
public final class Received<T> {

    private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
    private final String what;
    /** Why the stream ended (null while it is open), for failure messages. */
    private final Supplier<String> end;

    /** {@code what} names one item in failure messages ("event", "inbox event"). */
    public Received(String what, Supplier<String> end) {
        this.what = what;
        this.end = end;
    }

    public void add(T item) {
        queue.add(item);
    }

    /** The next item, or null after the timeout. */
    public T next(Duration timeout) throws InterruptedException {
        return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Reads until an item matches; returns every item read (the match last). */
    public List<T> until(Predicate<T> match, Duration timeout) throws InterruptedException {
        return until(match, () -> "no matching " + what, timeout);
    }

    /**
     * Reads until an item matches; returns every item read (the match last). {@code missing} says what did not
     * arrive when the timeout passes (it may read state the predicate keeps).
     */
    public List<T> until(Predicate<T> match, Supplier<String> missing, Duration timeout) throws InterruptedException {
        List<T> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            T item = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
            if (item == null) {
                String ended = end.get();
                throw new AssertionError(missing.get() + " within " + timeout
                        + (ended != null ? " (the stream ended: " + ended + ")" : "") + "; read: " + out);
            }
            out.add(item);
            if (match.test(item)) {
                return out;
            }
        }
    }

    /** Every item that arrives within the window (for "nothing more arrives" checks). */
    public List<T> drain(Duration window) throws InterruptedException {
        List<T> out = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        for (T item; (item = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null;) {
            out.add(item);
        }
        return out;
    }
}
