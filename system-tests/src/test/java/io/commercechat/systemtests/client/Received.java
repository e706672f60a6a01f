package io.commercechat.systemtests.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** What a stream delivered and the test has not read yet, in arrival order. */
final class Received<T> {

    private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
    private final String what;
    /** Why the stream ended (null while it is open), for failure messages. */
    private final Supplier<String> end;

    Received(String what, Supplier<String> end) {
        this.what = what;
        this.end = end;
    }

    void add(T item) {
        queue.add(item);
    }

    /** Reads until an item matches; returns every item read (the match last). */
    List<T> until(Predicate<T> match, Duration timeout) throws InterruptedException {
        List<T> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            T item = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
            if (item == null) {
                String ended = end.get();
                throw new AssertionError("no matching " + what + " within " + timeout
                        + (ended != null ? " (the stream ended: " + ended + ")" : "") + "; read: " + out);
            }
            out.add(item);
            if (match.test(item)) {
                return out;
            }
        }
    }

    /** Every item that arrives within the window. */
    List<T> drain(Duration window) throws InterruptedException {
        List<T> out = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        for (T item; (item = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null;) {
            out.add(item);
        }
        return out;
    }
}
