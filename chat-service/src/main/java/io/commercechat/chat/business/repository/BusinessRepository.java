package io.commercechat.chat.business.repository;

import io.commercechat.chat.business.Business;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

@ApplicationScoped
public class BusinessRepository implements PanacheRepositoryBase<Business, String> {

    /** The advisory lock {@link #configure} holds (an arbitrary number no other lock of this database uses). */
    private static final long CONFIGURE_LOCK = 4_412_551_001L;

    private final Pool pool;

    public BusinessRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * The directory of listed businesses by name, then id: {@code limit} businesses after ({@code name}, {@code id}),
     * or from the start when null.
     */
    public Uni<List<Business>> page(String[] after, int limit) {
        var query = after == null ? find("listed = true order by displayName, id")
                : find("listed = true and (displayName > ?1 or (displayName = ?1 and id > ?2)) order by displayName, id",
                        after[0], after[1]);
        return query.range(0, limit - 1).list();
    }

    /**
     * Makes the table what the configuration says, in one transaction: each configured business written (and listed),
     * every other one no longer listed. Idempotent, so replicas starting together agree.
     */
    public Uni<Void> configure(List<Business> configured) {
        String[] ids = configured.stream().map(b -> b.id).toArray(String[]::new);
        // one replica at a time (two starting with different lists would otherwise lock each other's rows in turn);
        // retired first, so that a bank moved to a new business id is never listed twice (V15's unique index)
        return pool.withTransaction(connection -> connection.query("SELECT pg_advisory_xact_lock(" + CONFIGURE_LOCK + ")").execute()
                .chain(() -> connection.preparedQuery("UPDATE businesses SET listed = false WHERE listed AND NOT (id = ANY($1))")
                        .execute(Tuple.tuple().addArrayOfString(ids)))
                .chain(() -> configured.isEmpty() ? Uni.createFrom().voidItem() : connection.preparedQuery("""
                        INSERT INTO businesses (id, display_name, kind, partner_bank_id, listed) VALUES ($1, $2, $3, $4, true)
                        ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, kind = EXCLUDED.kind,
                            partner_bank_id = EXCLUDED.partner_bank_id, listed = true""")
                        .executeBatch(configured.stream().map(b -> Tuple.of(b.id, b.displayName, b.kind.name(), b.partnerBankId)).toList())
                        .replaceWithVoid()))
                .replaceWithVoid();
    }

    /** The businesses with these ids (those of one page of conversations), by id. */
    public Uni<Map<String, Business>> byIds(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return list("id in ?1", Set.copyOf(ids)).map(found -> found.stream().collect(Collectors.toMap(b -> b.id, b -> b)));
    }

    /**
     * Partner bank id → the bank's display name, for every bank business (a handful of rows); the listed one's where a
     * retired business named the same bank.
     */
    public Uni<Map<String, String>> bankNames() {
        return find("kind = ?1 order by listed desc, id", Business.Kind.BANK).list()
                .map(banks -> banks.stream().collect(Collectors.toMap(b -> b.partnerBankId, b -> b.displayName, (a, b) -> a)));
    }

    /** The bank business that account-link-service knows as {@code partnerBankId} (the listed one first), or null. */
    public Uni<Business> findByPartnerBank(String partnerBankId) {
        return find("partnerBankId = ?1 order by listed desc, id", partnerBankId).firstResult();
    }
}
