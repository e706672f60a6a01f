package io.commercechat.consent.receipt.service;

import io.commercechat.consent.receipt.service.ReceiptSigner.InvalidReceipt;
import io.commercechat.consent.receipt.service.ReceiptSigner.VerifiedReceipt;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The stored receipts against the published keys and the event log. The log's hash chain has no key: someone able to
 * write the database can change or delete events and recompute every later hash, and the chain still checks. Each
 * receipt is signed and names the event it was issued with (id, position, chain hash), so such a rewrite shows as a
 * receipt whose event is gone, moved or hashed differently. Walks the receipts in pages ({@value #PAGE}, by id), holding
 * one page at a time; the signatures of a page are checked on a worker thread (an ECDSA verification each, too much
 * CPU for the event loop at a page a time), the page's events are read by id in one query.
 */
@ApplicationScoped
public class ReceiptPins {

    private static final int PAGE = 200;
    private static final String PAGE_AFTER = "select id, consent_id, key_id, jws from receipts where id > $1 order by id limit " + PAGE;
    /** Below every receipt id (random, version 4: never the nil UUID). */
    private static final UUID BEFORE_ALL = new UUID(0, 0);

    private final Pool pool;
    private final Vertx vertx;
    private final ReceiptSigner signer;

    public ReceiptPins(Pool pool, Vertx vertx, ReceiptSigner signer) {
        this.pool = pool;
        this.vertx = vertx;
        this.signer = signer;
    }

    /** Every stored receipt, checked. Personal data in receipts never reaches the result: only ids, positions, hashes. */
    public Uni<Result> check() {
        return pageAfter(BEFORE_ALL).chain(rows -> checkFrom(rows, new Result()));
    }

    private Uni<RowSet<Row>> pageAfter(UUID id) {
        return pool.preparedQuery(PAGE_AFTER).execute(Tuple.of(id));
    }

    private Uni<Result> checkFrom(RowSet<Row> rows, Result result) {
        List<Stored> page = new ArrayList<>(rows.size());
        for (Row r : rows) {
            page.add(new Stored(r.getUUID("id"), r.getUUID("consent_id"), r.getString("key_id"), r.getString("jws")));
        }
        if (page.isEmpty()) {
            return Uni.createFrom().item(result);
        }
        // back on this context afterwards (Vert.x delivers a blocking result where it was asked for)
        return vertx.executeBlocking(() -> verify(page), false)
                .chain(verified -> compareWithLog(verified, result))
                .chain(() -> {
                    if (page.size() < PAGE) {
                        return Uni.createFrom().item(result);
                    }
                    return pageAfter(page.get(page.size() - 1).id).chain(next -> checkFrom(next, result));
                });
    }

    private record Stored(UUID id, UUID consentId, String keyId, String jws) {}

    /** A receipt whose signature verified, with the event it pins; or the reason it did not. */
    private record Checked(UUID id, VerifiedReceipt receipt, UUID eventId, String invalid) {
        static Checked invalid(UUID id, String why) {
            return new Checked(id, null, null, why);
        }
    }

    /** On a worker thread. */
    private List<Checked> verify(List<Stored> page) {
        List<Checked> out = new ArrayList<>(page.size());
        for (Stored s : page) {
            try {
                VerifiedReceipt v = signer.verify(s.jws);
                if (!s.id.toString().equals(v.receiptId()) || !s.consentId.toString().equals(v.consentId())) {
                    // a signed receipt copied onto another row: GetReceipt would hand it out for the wrong consent
                    out.add(Checked.invalid(s.id, "its row holds a receipt signed for another "
                            + (s.id.toString().equals(v.receiptId()) ? "consent" : "receipt id")));
                    continue;
                }
                if (!v.keyId().equals(s.keyId)) {
                    // the start's check of the keys in use (ReceiptKeysInUse) reads the column: a key still needed
                    // could be reported unused and dropped at the next rotation
                    out.add(Checked.invalid(s.id, "its row names key id \"" + s.keyId
                            + "\" but it is signed with the published key " + v.keyId()));
                    continue;
                }
                out.add(new Checked(s.id, v, v.eventId() == null ? null : UUID.fromString(v.eventId()), null));
            } catch (InvalidReceipt e) {
                out.add(Checked.invalid(s.id, e.getMessage()));
            } catch (IllegalArgumentException e) {
                out.add(Checked.invalid(s.id, "its eventLog.eventId is not an event id"));
            }
        }
        return out;
    }

    private Uni<Void> compareWithLog(List<Checked> page, Result result) {
        List<UUID> ids = new ArrayList<>();
        for (Checked c : page) {
            if (c.eventId != null) {
                ids.add(c.eventId);
            }
        }
        Uni<Map<UUID, Logged>> logged = ids.isEmpty() ? Uni.createFrom().item(Map.of())
                : pool.preparedQuery("select event_id, position, hash from consent_events where event_id = any($1)")
                        .execute(Tuple.tuple().addArrayOfUUID(ids.toArray(UUID[]::new)))
                        .map(rows -> {
                            Map<UUID, Logged> byId = new HashMap<>();
                            for (Row r : rows) {
                                byId.put(r.getUUID("event_id"), new Logged(r.getLong("position"), r.getString("hash")));
                            }
                            return byId;
                        });
        return logged.invoke(byId -> {
            for (Checked c : page) {
                result.receipts++;
                if (c.invalid != null) {
                    result.invalid(c.id, c.invalid);
                } else if (c.eventId == null) {
                    result.unpinned++;
                } else {
                    result.compare(c.id, c.eventId, c.receipt, byId.get(c.eventId));
                }
            }
        }).replaceWithVoid();
    }

    private record Logged(long position, String hash) {}

    /** What the walk found, in a few counters and two sentences: bounded however many receipts there are. */
    public static final class Result {
        private long receipts;
        private long unpinned;
        private long invalid;
        private String firstInvalid;
        private long mismatched;
        private long lowestMismatch;
        private String lowestMismatchDetail;
        private long highestConfirmed;

        private void invalid(UUID receipt, String why) {
            if (invalid++ == 0) {
                firstInvalid = "receipt " + receipt + ": " + why;
            }
        }

        private void compare(UUID receipt, UUID event, VerifiedReceipt pinned, Logged now) {
            String pin = "receipt " + receipt + " pins event " + event
                    + (pinned.position() == null ? "" : " at position " + pinned.position());
            String differs;
            if (now == null) {
                differs = pin + ", which is no longer in the log";
            } else if (pinned.position() != null && pinned.position() != now.position) {
                differs = pin + "; the log holds that event at position " + now.position;
            } else if (!now.hash.equals(pinned.hash())) {
                differs = pin + " with hash " + pinned.hash() + "; the log holds hash " + now.hash + " for it";
            } else {
                highestConfirmed = Math.max(highestConfirmed, now.position);
                return;
            }
            long at = pinned.position() != null ? pinned.position() : now == null ? 0 : now.position;
            mismatched++;
            if (lowestMismatchDetail == null || (at > 0 && (lowestMismatch == 0 || at < lowestMismatch))) {
                lowestMismatch = at;
                lowestMismatchDetail = differs;
            }
        }

        public boolean intact() {
            return invalid == 0 && mismatched == 0;
        }

        /** The position of the lowest event a receipt disagrees with; 0 when none (or the receipt names none). */
        public long firstBrokenPosition() {
            return lowestMismatch;
        }

        public String detail() {
            if (intact()) {
                return "all " + receipts + " receipts verify under the published keys and match the log"
                        + (unpinned == 0 ? "" : " (" + unpinned + " of them, issued before receipts named their event, pin none)");
            }
            List<String> parts = new ArrayList<>();
            if (mismatched > 0) {
                String span = highestConfirmed > 0 && highestConfirmed < lowestMismatch
                        ? " (rewritten after position " + highestConfirmed + ", the last a receipt confirms)" : "";
                parts.add(mismatched + " of " + receipts + " receipts disagree with the log" + span + ", the earliest: "
                        + lowestMismatchDetail);
            }
            if (invalid > 0) {
                parts.add(invalid + " of " + receipts + " receipts do not verify, the first: " + firstInvalid);
            }
            return String.join("; ", parts);
        }
    }
}
