package io.commercechat.chat.message.repository;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.inbox.InboxPosition;
import io.commercechat.chat.inbox.service.InboxFeed;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.db.DatabaseOutages;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.jboss.logging.Logger;

/**
 * Writes sends to the database in batches: the sends that arrive while earlier ones are being
 * written go together in one call of send_message_batch() (V5__send_in_batches.sql for its rules,
 * V7__send_batch_answers_in_brief.sql for its answer, V8__send_batch_set_based.sql for how it writes them), one transaction,
 * so they share one commit flush and take each inbox head lock once. A send that arrives when
 * no batch is being written is written at once, so batching adds no wait when the service is quiet; another batch
 * (up to {@code chat.send-batches-in-flight}) is written beside one in flight once a whole batch of sends waits.
 * Each send keeps its own outcome; if a batch fails as a whole (e.g. a constraint no check foresaw), its sends are
 * written again one by one, so the failure reaches only the send that caused it. Two kinds of failure reach all its
 * senders at once instead: the connection was lost (the batch may have committed: "send it again", which never sends
 * twice), or the database refused the batch for now and rolled it back (a lock held longer than the 5 s lock timeout,
 * a deadlock: "nothing was sent").
 * A batch the database has not answered by {@code chat.send-timeout} is answered then ({@link BatchWrite}).
 * A batch's sent messages are handed to this replica's open
 * streams as soon as its answer arrives, before the senders hear of it; the notifications that
 * arrive while it is written wait for that (see {@link InboxFeed}).
 */
@ApplicationScoped
public class MessageWriter {

    /** What to append; the owner fields are null for the assistant, which chat-service itself drives. */
    public record Append(UUID conversationId, String personSub, String businessId, ChatMessage message, String orderNumber,
            boolean bankOnly, Duration replyWindow, Duration humanAgentWindow) {}

    /**
     * A send's outcome (see V5__send_in_batches.sql) and the message it names, if any: the sent
     * message, or a retry's first one. A sent message also names the committed inbox events it made.
     */
    public record Appended(String outcome, ChatMessage message, List<InboxPosition> events) {}

    private static final Logger LOG = Logger.getLogger(MessageWriter.class);
    /** The outcome of a send that was written. */
    public static final String SENT = "sent";

    /** Sends per statement: enough to share a flush among many senders, small enough to hold locks briefly. */
    static final int BATCH = 64;
    /** Sends waiting beyond this are refused (503) rather than queued without bound. */
    static final int MAX_WAITING = 8192;
    /** Statements past their deadline and still running at which sends are refused (see {@link BatchWrite}). */
    static final int MAX_ABANDONED = 2;

    /** The sender of a send that may or may not have committed: a retry with the same client message id is safe. */
    private static final ChatFailure UNCONFIRMED = ChatFailure.unavailable("send-unconfirmed",
            "the message could not be confirmed as sent; send it again with the same clientMessageId, it is never sent twice");
    private static final ChatFailure TOO_MANY_WAITING = ChatFailure.unavailable("temporarily-unavailable",
            "too many messages are being sent right now; nothing was sent, try again in a minute");
    /** The sender of a send refused before it reached the database, or that the database rolled back for now. */
    private static final ChatFailure NOT_SENT = ChatFailure.unavailable("temporarily-unavailable",
            "messages cannot be written right now; nothing was sent, try again in a moment");

    private static final String SEND = "SELECT * FROM send_message_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
            + " make_interval(secs => $14), make_interval(secs => $15))";

    /** A send waiting for its batch; its answer is delivered on the context it was asked from. */
    private record Pending(Append append, Context context, UniEmitter<? super Appended> answer, AtomicBoolean answered) {}

    private final Pool pool;
    private final InboxFeed feed;
    /** Batches being written at once by this instance (each holds one pooled connection). */
    private final int maxInFlight;
    private final Duration sendTimeout;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int inFlight;  // guarded by waiting
    private int abandoned;  // guarded by waiting: statements past their deadline, still running

    public MessageWriter(Pool pool, InboxFeed feed, ChatConfig config) {
        this.pool = pool;
        this.feed = feed;
        this.maxInFlight = config.sendBatchesInFlight();
        this.sendTimeout = config.sendTimeout();
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("chat.send-batches-in-flight must be at least 1, not " + maxInFlight);
        }
    }

    /**
     * Appends a message: the lock, the checks, the message, the conversation's counters and its inbox
     * events commit together or not at all. {@code a.message()} brings id, sender, client message id,
     * kind, content, visibility, update tag and source consent; the answer carries the stored message
     * (the first one for a retry).
     */
    public Uni<Appended> append(Append a) {
        return Uni.createFrom().emitter(answer -> {
            List<Pending> batch = null;
            ChatFailure refused = null;
            synchronized (waiting) {
                if (abandoned >= MAX_ABANDONED) {
                    refused = NOT_SENT;
                } else if (waiting.size() >= MAX_WAITING) {
                    refused = TOO_MANY_WAITING;
                } else {
                    waiting.add(new Pending(a, Vertx.currentContext(), answer, new AtomicBoolean()));
                    batch = takeBatch();
                }
            }
            // answered outside the lock: the caller's handling must not hold up every other send
            if (refused != null) {
                answer.fail(refused);
            } else if (batch != null) {
                write(batch);
            }
        });
    }

    /**
     * The next batch to write, or null when enough are being written or none is waiting. Holds the lock. A batch beside
     * one in flight only once a whole batch waits: two batches to one business queue on its inbox head, so splitting
     * the sends that wait into two smaller batches was slower than one (ChatConfig#sendBatchesInFlight), while two full
     * batches overlap one's commit and answer with the other's writing.
     */
    private List<Pending> takeBatch() {
        if (inFlight >= maxInFlight || waiting.isEmpty() || inFlight > 0 && waiting.size() < BATCH) {
            return null;
        }
        inFlight++;
        List<Pending> batch = new ArrayList<>(Math.min(BATCH, waiting.size()));
        while (batch.size() < BATCH && !waiting.isEmpty()) {
            batch.add(waiting.poll());
        }
        return batch;
    }

    private void write(List<Pending> sends) {
        BatchWrite b = new BatchWrite(sends);
        statement(sends).subscribe().with(rows -> {
            if (!b.end()) {
                return;  // its senders heard at the deadline; the streams read what it committed
            }
            written();  // the next batch goes to the database while this one's events and answers are delivered
            Answer[] answers = answers(sends, rows);
            handOff(answers);
            b.releaseFeed();
            for (int i = 0; i < answers.length; i++) {
                deliver(sends.get(i), answers[i].appended(), answers[i].failure());
            }
        }, failure -> {
            if (sends.size() == 1 || toSender(failure) != failure || b.overdue()) {
                // a lost connection or a lock held too long would fail the sends one by one too, each in its turn
                finish(b, () -> sends.forEach(p -> deliver(p, null, toSender(failure))));
                return;
            }
            LOG.warnf("a batch of %d sends failed (%s); writing them one by one", sends.size(),
                    failure.getClass().getSimpleName());
            Uni<Void> oneByOne = Uni.createFrom().voidItem();
            for (Pending p : sends) {
                // once the deadline has passed, each sender has heard: the rest are not written
                oneByOne = oneByOne.chain(() -> b.overdue() ? Uni.createFrom().voidItem() : statement(List.of(p))
                        .onItemOrFailure().invoke((rows, e) -> {
                            Answer[] a = e == null ? answers(List.of(p), rows) : new Answer[] {new Answer(null, toSender(e))};
                            handOff(a);
                            deliver(p, a[0].appended(), a[0].failure());
                        })
                        .onFailure().recoverWithNull().replaceWithVoid());
            }
            oneByOne.subscribe().with(x -> finish(b, () -> {}));
        });
    }

    /** A batch that failed is over: its slot is freed unless its deadline freed it, and the held notifications go. */
    private void finish(BatchWrite b, Runnable answerSenders) {
        boolean inTime = b.end();
        b.releaseFeed();
        answerSenders.run();
        if (inTime) {
            written();
        }
    }

    /** A batch is done: write the next one if sends are waiting. */
    private void written() {
        List<Pending> next;
        synchronized (waiting) {
            inFlight--;
            next = takeBatch();
        }
        if (next != null) {
            write(next);
        }
    }

    /**
     * A batch being written, with its deadline ({@code chat.send-timeout}). A database that has not answered by then
     * (frozen, cut off, or just too slow) must not hold every send of the replica: the batch's senders are told to
     * send again, and its slot goes to the next batch, while the statement itself, which may still commit, is
     * abandoned. With {@link #MAX_ABANDONED} abandoned statements still running, sends are refused until one ends,
     * so that a slow database is not given ever more of them.
     */
    private final class BatchWrite {
        private final List<Pending> sends;
        private final AtomicBoolean feedReleased = new AtomicBoolean();
        private final ScheduledFuture<?> deadline;
        private boolean ended;  // guarded by waiting
        private volatile boolean overdue;

        BatchWrite(List<Pending> sends) {
            this.sends = sends;
            ScheduledFuture<?> scheduled = null;
            try {
                scheduled = Infrastructure.getDefaultWorkerPool().schedule(this::deadlinePassed, sendTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debug("no deadline for a batch: the worker pool is shutting down");
            }
            deadline = scheduled;
            feed.writing();
        }

        private void deadlinePassed() {
            List<Pending> refused = List.of();
            List<Pending> next = null;
            synchronized (waiting) {
                if (ended) {
                    return;
                }
                overdue = true;
                abandoned++;
                inFlight--;
                if (abandoned >= MAX_ABANDONED) {
                    refused = new ArrayList<>(waiting);
                    waiting.clear();
                } else {
                    next = takeBatch();
                }
            }
            LOG.warnf("a batch of %d sends got no answer from the database within %s; its senders are told to send again",
                    sends.size(), sendTimeout);
            releaseFeed();
            sends.forEach(p -> deliver(p, null, UNCONFIRMED));
            refused.forEach(p -> deliver(p, null, NOT_SENT));
            if (next != null) {
                write(next);
            }
        }

        /** The database answered, or the batch is over: true if before its deadline (the slot is still held). */
        boolean end() {
            if (deadline != null) {
                deadline.cancel(false);
            }
            synchronized (waiting) {
                if (ended) {
                    return false;
                }
                ended = true;
                if (overdue) {
                    abandoned--;
                }
                return !overdue;
            }
        }

        boolean overdue() {
            return overdue;
        }

        /** The notifications held while the batch was written go through (once). */
        void releaseFeed() {
            if (feedReleased.compareAndSet(false, true)) {
                feed.written();
            }
        }
    }

    /** The batch's statement; building it cannot fail outside the Uni (a slot in flight must always be freed). */
    private Uni<RowSet<Row>> statement(List<Pending> batch) {
        return Uni.createFrom().deferred(() -> execute(batch));
    }

    /**
     * What a send's sender hears of its batch's failure: "send it again" when the connection was lost (the batch may
     * have committed), "nothing was sent" when the database refused it for now (it rolled back) or no connection
     * could be had, else the failure.
     */
    private static Throwable toSender(Throwable failure) {
        if (DatabaseOutages.connectionLost(failure)) {
            return UNCONFIRMED;
        }
        return DatabaseOutages.passing(failure) ? NOT_SENT : failure;
    }

    private Uni<RowSet<Row>> execute(List<Pending> batch) {
        // one array per column of send_message_batch(); the windows are the same for every send (configuration, a constant)
        Append first = batch.get(0).append();
        Tuple args = Tuple.tuple()
                .addArrayOfUUID(column(batch, Append::conversationId, UUID[]::new))
                .addArrayOfString(column(batch, Append::personSub, String[]::new))
                .addArrayOfString(column(batch, Append::businessId, String[]::new))
                .addArrayOfString(column(batch, a -> a.message().sender.name(), String[]::new))
                .addArrayOfUUID(column(batch, a -> a.message().id, UUID[]::new))
                .addArrayOfString(column(batch, a -> a.message().clientMessageId, String[]::new))
                .addArrayOfString(column(batch, a -> a.message().kind, String[]::new))
                .addArrayOfString(column(batch, a -> a.message().content, String[]::new))
                .addArrayOfString(column(batch, a -> a.message().visibility.name(), String[]::new))
                .addArrayOfString(column(batch, a -> a.message().updateTag, String[]::new))
                .addArrayOfString(column(batch, a -> a.message().sourceConsentId, String[]::new))
                .addArrayOfString(column(batch, Append::orderNumber, String[]::new))
                .addArrayOfBoolean(column(batch, Append::bankOnly, Boolean[]::new))
                .addDouble(first.replyWindow().toMillis() / 1000.0).addDouble(first.humanAgentWindow().toMillis() / 1000.0);
        return pool.preparedQuery(SEND).execute(args);
    }

    private static <T> T[] column(List<Pending> batch, Function<Append, T> field, IntFunction<T[]> array) {
        T[] values = array.apply(batch.size());
        for (int i = 0; i < values.length; i++) {
            values[i] = field.apply(batch.get(i).append());
        }
        return values;
    }

    /** A send's answer: what was appended, or why not. */
    private record Answer(Appended appended, Throwable failure) {}

    /** One row per send, named by its index in the batch (from 1). Every send gets an answer, whatever the rows are. */
    private Answer[] answers(List<Pending> batch, RowSet<Row> rows) {
        Answer[] answers = new Answer[batch.size()];
        RuntimeException unreadable = null;
        for (Row r : rows) {
            try {
                int item = r.getInteger("item") - 1;
                answers[item] = new Answer(answered(batch.get(item).append().message(), r), null);
            } catch (RuntimeException e) {
                unreadable = e;  // only that row's send goes unanswered; the others still are
            }
        }
        for (int i = 0; i < answers.length; i++) {
            if (answers[i] == null) {
                answers[i] = new Answer(null, unreadable != null ? unreadable
                        : new IllegalStateException("send_message_batch gave no answer for a send"));
            }
        }
        return answers;
    }

    /**
     * The sent messages go to this replica's open streams, on the batch's answer and before the senders
     * hear of it. The sends are committed whatever happens here: a stream not handed its event reads it.
     */
    private void handOff(Answer[] answers) {
        for (Answer a : answers) {
            if (a.appended() != null && SENT.equals(a.appended().outcome())) {
                try {
                    feed.committed(a.appended().events(), a.appended().message());
                } catch (RuntimeException e) {
                    LOG.warnf("a sent message was not handed to the open streams (%s); they read it",
                            e.getClass().getSimpleName());
                }
            }
        }
    }

    /**
     * A sent message is the one this send brought, with the seq and time the database gave it; a
     * retry is answered with the first message, which the database returns whole.
     */
    private static Appended answered(ChatMessage asked, Row r) {
        String outcome = r.getString("outcome");
        return switch (outcome) {
            case SENT -> {
                asked.seq = r.getLong("seq");
                asked.sentAt = r.getOffsetDateTime("sent_at").toInstant();
                List<InboxPosition> events = new ArrayList<>(2);
                events.add(new InboxPosition(r.getString("person_inbox"), r.getLong("person_position")));
                if (r.getString("business_inbox") != null) {
                    events.add(new InboxPosition(r.getString("business_inbox"), r.getLong("business_position")));
                }
                yield new Appended(outcome, asked, events);
            }
            case "duplicate" -> new Appended(outcome, MessageRepository.fromRow(r), List.of());
            default -> new Appended(outcome, null, List.of());
        };
    }

    /** The caller continues on its own context (its request's, with its Hibernate session), not the batch's. */
    private static void deliver(Pending p, Appended answer, Throwable failure) {
        if (!p.answered().compareAndSet(false, true)) {
            return;  // told at the deadline already
        }
        Runnable complete = () -> {
            if (failure == null) {
                p.answer().complete(answer);
            } else {
                p.answer().fail(failure);
            }
        };
        if (p.context() == null || p.context() == Vertx.currentContext()) {
            complete.run();
        } else {
            p.context().runOnContext(v -> complete.run());
        }
    }
}
