package io.commercechat.accounts.link.service;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.Function;

/**
 * One run of a sweep over due rows (AccessEnding's revocations, FailedLinkConsents' consent ends): claims a batch,
 * works its rows one after another, and claims again while batches come back full, at most {@link #MAX_PER_RUN}
 * times. A backlog (a mass expiry, a peer back after an outage) is worked off batch after batch rather than one batch a
 * run; the bound ends a run that keeps finding full batches (a peer failing each call at once, so that rows come due
 * again after their first backoffs), which would hold up the scheduler and a shutdown, and leaves the rest to the next.
 */
final class SweepBatches {

    /** Rows a sweep claims at once (each claim's lease covers them one after another). */
    static final int BATCH = 20;
    /** Batches one run takes at most. */
    static final int MAX_PER_RUN = 25;

    private SweepBatches() {
    }

    /** {@code claim} takes up to the given number of due rows; {@code work} handles one (its failure is its own). */
    static <T> Uni<Void> run(Function<Integer, Uni<List<T>>> claim, Function<T, Uni<?>> work) {
        return batches(claim, work, MAX_PER_RUN);
    }

    private static <T> Uni<Void> batches(Function<Integer, Uni<List<T>>> claim, Function<T, Uni<?>> work, int left) {
        return claim.apply(BATCH).chain(due -> Multi.createFrom().iterable(due).onItem().transformToUniAndConcatenate(work)
                .collect().asList().chain(() -> due.size() == BATCH && left > 1
                        ? batches(claim, work, left - 1) : Uni.createFrom().voidItem()));
    }
}
