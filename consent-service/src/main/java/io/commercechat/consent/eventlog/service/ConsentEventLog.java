package io.commercechat.consent.eventlog.service;

import io.commercechat.consent.config.ConsentConfig;
import io.commercechat.consent.eventlog.ConsentEventEntry;
import io.commercechat.consent.eventlog.EventHash;
import io.commercechat.consent.eventlog.repository.ConsentEventRepository;
import io.commercechat.support.ProtoTime;
import io.commercechat.consent.lifecycle.Consent;
import io.commercechat.consent.lifecycle.ConsentMapper;
import io.commercechat.consent.receipt.service.ReceiptPins;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentEvent;
import io.commercechat.proto.consent.v1.ConsentEventType;
import io.commercechat.proto.consent.v1.VerifyEventLogResponse;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/** Appends to, verifies and streams the hash-chained consent event log. */
@ApplicationScoped
public class ConsentEventLog {

    private static final int BATCH = 200;

    private final ConsentEventRepository events;
    private final ReceiptPins receipts;
    private final Pool pool;
    private final Vertx vertx;
    private final ConsentConfig config;
    /** Events read for WatchConsentEvents streams (the metric consent.watch.events.read). */
    private final LongAdder read = new LongAdder();

    public ConsentEventLog(ConsentEventRepository events, ReceiptPins receipts, Pool pool, Vertx vertx, ConsentConfig config,
            MeterRegistry metrics) {
        this.events = events;
        this.receipts = receipts;
        this.pool = pool;
        this.vertx = vertx;
        this.config = config;
        FunctionCounter.builder("consent.watch.events.read", read, LongAdder::sum)
                .description("consent events read from the database for WatchConsentEvents streams").register(metrics);
    }

    /**
     * Must run inside the transaction that changed the consent, as its last wait: it takes the log lock
     * ({@link ConsentEventRepository#lockLog()}), held until that transaction ends.
     */
    public Uni<ConsentEventEntry> append(Consent consent, ConsentEventType type, Actor actor) {
        return events.lockLog().chain(lockedAt -> events.lastHash().chain(last -> {
            ConsentEventEntry e = new ConsentEventEntry();
            e.eventId = UUID.randomUUID();
            e.consentId = consent.id;
            e.type = type;
            e.actor = actor;
            e.occurredAt = lockedAt; // the database's clock, not this replica's (README, "One clock")
            e.snapshot = ConsentMapper.snapshot(consent);
            e.previousHash = last == null ? EventHash.GENESIS : last;
            e.hash = hashOf(e);
            return events.persistAndFlush(e);  // flushed: the position (an identity) is known to the receipt
        }));
    }

    private static String hashOf(ConsentEventEntry e) {
        return EventHash.of(e.previousHash, e.eventId.toString(), e.consentId.toString(), e.type.name(), e.actor.name(),
                e.occurredAt, e.snapshot);
    }

    /**
     * Walks the whole chain in position order and reports the first entry that does not match; then, the chain being
     * whole, checks every stored receipt against the published keys and the events it pins ({@link ReceiptPins}). The
     * chain alone cannot show a rewrite that recomputed every later hash; a receipt, signed with a key the database
     * does not hold, can.
     */
    public Uni<VerifyEventLogResponse> verify() {
        // the session (and its connection) ends with the chain walk; the receipts are read through the pool
        return Panache.withSession(() -> verifyFrom(0, EventHash.GENESIS, 0))
                .chain(chain -> !chain.getIntact() ? Uni.createFrom().item(chain)
                        : receipts.check().map(pins -> withReceipts(chain, pins)));
    }

    /** A whole chain's answer with what the receipts say of it. */
    private static VerifyEventLogResponse withReceipts(VerifyEventLogResponse chain, ReceiptPins.Result pins) {
        if (pins.intact()) {
            return chain.toBuilder().setDetail(chain.getDetail() + "; " + pins.detail()).build();
        }
        return chain.toBuilder().setIntact(false).setFirstBrokenPosition(pins.firstBrokenPosition())
                .setDetail("the chain of " + chain.getEventsChecked() + " events is consistent, but " + pins.detail()).build();
    }

    private Uni<VerifyEventLogResponse> verifyFrom(long after, String expectedPrevious, long checked) {
        return events.after(after, 1000).chain(batch -> {
            String previous = expectedPrevious;
            long count = checked;
            for (ConsentEventEntry e : batch) {
                count++;
                if (!e.previousHash.equals(previous)) {
                    return Uni.createFrom().item(broken(e, count, "previous_hash does not match the hash of the entry before it"));
                }
                if (!hashOf(e).equals(e.hash)) {
                    return Uni.createFrom().item(broken(e, count, "content does not match its hash (the entry was altered)"));
                }
                previous = e.hash;
            }
            if (batch.size() < 1000) {
                return Uni.createFrom().item(VerifyEventLogResponse.newBuilder().setIntact(true).setEventsChecked(count)
                        .setDetail("all " + count + " events chain correctly").build());
            }
            long last = batch.get(batch.size() - 1).position;
            String chained = previous;
            long sofar = count;
            // the checked entries leave the session, so a walk of the whole log holds one batch at a time
            return Panache.getSession().chain(session -> {
                session.clear();
                return verifyFrom(last, chained, sofar);
            });
        });
    }

    private static VerifyEventLogResponse broken(ConsentEventEntry e, long checked, String why) {
        return VerifyEventLogResponse.newBuilder().setIntact(false).setEventsChecked(checked)
                .setFirstBrokenPosition(e.position).setDetail("event at position " + e.position + ": " + why).build();
    }

    /**
     * Every event after {@code afterPosition}, in order, then new ones as they commit. Reads go
     * straight to PostgreSQL (no in-memory state), so any replica serves any consumer and a
     * consumer resumes from its stored position after a restart of either side. Each read waits for {@code ready}
     * (the transport's flow control), so a consumer that stalls has at most a batch more than its transport holds
     * waiting in memory.
     */
    public Multi<ConsentEvent> watch(long afterPosition, Supplier<Uni<Void>> ready) {
        AtomicLong cursor = new AtomicLong(afterPosition);
        return Multi.createBy().repeating()
                .uni(() -> ready.get().chain(() -> fetchAfter(cursor.get())).call(batch -> {
                    read.add(batch.size());
                    if (batch.isEmpty()) {
                        return sleep(config.watchPollInterval().toMillis());
                    }
                    cursor.set(batch.get(batch.size() - 1).getPosition());
                    return Uni.createFrom().voidItem();
                }))
                .indefinitely()
                .onItem().transformToIterable(batch -> batch);
    }

    private Uni<Void> sleep(long millis) {
        return Uni.createFrom().emitter(em -> vertx.setTimer(Math.max(1, millis), id -> em.complete(null)));
    }

    private Uni<List<ConsentEvent>> fetchAfter(long position) {
        return pool.preparedQuery("select position, event_id, type, actor, occurred_at, snapshot, previous_hash, hash"
                        + " from consent_events where position > $1 order by position limit " + BATCH)
                .execute(Tuple.of(position))
                .map(rows -> {
                    List<ConsentEvent> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(ConsentEvent.newBuilder()
                                .setPosition(r.getLong("position"))
                                .setEventId(r.getUUID("event_id").toString())
                                .setType(ConsentEventType.valueOf(r.getString("type")))
                                .setActor(Actor.valueOf(r.getString("actor")))
                                .setOccurredAt(ProtoTime.of(r.getOffsetDateTime("occurred_at").toInstant()))
                                .setConsent(ConsentMapper.toProto(ConsentMapper.fromSnapshot(r.getString("snapshot"))))
                                .setPreviousHash(r.getString("previous_hash"))
                                .setHash(r.getString("hash"))
                                .build());
                    }
                    return out;
                });
    }
}
