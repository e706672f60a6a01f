package io.commercechat.accounts.token.service;

import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.accounts.token.BankToken;
import io.commercechat.accounts.token.repository.BankTokenRepository;
import io.commercechat.accounts.token.service.TokenCipher.Sealed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Re-seals stored bank tokens under the active key after a key rotation. Bank tokens are never refreshed, so without
 * this sweep a retired key could never be removed. Runs right after start and then every
 * {@code accounts.token-rekey-interval}, batch after batch until no token under a retiring key
 * ({@code accounts.token-keys-retiring}) is left.
 * Replicas share the work: each batch is one transaction that locks its rows {@code FOR UPDATE SKIP LOCKED} from
 * read to write, so nobody changes a row between its opening and its re-sealing, and rows another replica holds are
 * its work. Tokens under a key id that is no longer configured cannot be read: they are counted and reported.
 */
@ApplicationScoped
public class TokenKeyRotation {

    /** Tokens still under a non-active key id, tagged {@code key.id} and {@code configured}. */
    public static final String REMAINING_METRIC = "accounts.bank.tokens.inactive.key";
    private static final Logger LOG = Logger.getLogger(TokenKeyRotation.class);
    /** Link ids are compared as PostgreSQL orders uuid; this one sorts first. */
    private static final UUID BEFORE_ALL = new UUID(0, 0);

    /**
     * One sweep: tokens it re-sealed, tokens under a configured key that did not decrypt (tampered, or moved to
     * another link), and, counted afterwards, how many tokens each non-active key id still seals.
     */
    public record Sweep(int resealed, int undecryptable, Map<String, Long> remaining, List<String> unconfigured) {

        /** Tokens under key ids that are no longer configured: nobody can read them any more. */
        public long unreadable() {
            return unconfigured.stream().mapToLong(kid -> remaining.getOrDefault(kid, 0L)).sum();
        }

        long stillUnderOtherKeys() {
            return remaining.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private record Batch(UUID last, int rows) {}

    /** Where a sweep is, and what it did so far. */
    private static final class Pass {
        UUID after = BEFORE_ALL;
        int resealed;
        int undecryptable;
    }

    private final BankTokenRepository tokens;
    private final TokenCipher cipher;
    private final int batchSize;
    private final MultiGauge remainingGauge;

    public TokenKeyRotation(BankTokenRepository tokens, TokenCipher cipher, AccountsConfig config, MeterRegistry metrics) {
        this.tokens = tokens;
        this.cipher = cipher;
        this.batchSize = config.tokenRekeyBatchSize();
        if (batchSize < 1) {
            throw new IllegalStateException("accounts.token-rekey-batch-size must be at least 1, not " + batchSize);
        }
        this.remainingGauge = MultiGauge.builder(REMAINING_METRIC)
                .description("bank tokens still sealed under a key id other than the active one (as of the last sweep)")
                .register(metrics);
    }

    @Scheduled(every = "${accounts.token-rekey-interval:10m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> resealOnSchedule() {
        return sweep().replaceWithVoid().onFailure().recoverWithUni(e -> {
            LOG.warnf("token key rotation sweep failed (%s); next try in accounts.token-rekey-interval", e.getClass().getSimpleName());
            return Uni.createFrom().voidItem();
        });
    }

    /**
     * Re-seals every token under a retiring key id (accounts.token-keys-retiring) with the active key, then counts what
     * is left under other key ids. Nothing to do, and nothing read, while no key id is retiring.
     */
    public Uni<Sweep> sweep() {
        String active = cipher.activeKeyId();
        if (cipher.retiringKeyIds().isEmpty()) {
            return Uni.createFrom().item(new Sweep(0, 0, Map.of(), List.of()));
        }
        Pass pass = new Pass();
        return Multi.createFrom().iterable(cipher.retiringKeyIds())
                .onItem().transformToUniAndConcatenate(retiring -> {
                    pass.after = BEFORE_ALL;
                    return Multi.createBy().repeating().uni(() -> pass, p -> resealBatch(retiring, p))
                            .whilst(batch -> batch.rows() == batchSize)
                            .collect().last();
                })
                .collect().last()
                .chain(() -> tokens.countUnderOtherKeys(active))
                .map(remaining -> new Sweep(pass.resealed, pass.undecryptable, remaining,
                        remaining.keySet().stream().filter(kid -> !cipher.knows(kid)).toList()))
                .invoke(this::report);
    }

    /** One transaction: the next rows under a retiring key after the pass's position, locked, re-sealed, written at commit. */
    private Uni<Batch> resealBatch(String retiring, Pass pass) {
        return Panache.withTransaction(() -> tokens.lockUnderKey(retiring, pass.after, batchSize).map(rows -> {
            for (BankToken t : rows) {  // under a retiring key, which TokenCipher checked is configured
                try {
                    Sealed fresh = cipher.reseal(t.linkId, new Sealed(t.keyId, t.nonce, t.ciphertext));
                    t.keyId = fresh.keyId();
                    t.nonce = fresh.nonce();
                    t.ciphertext = fresh.ciphertext();
                    pass.resealed++;
                } catch (IllegalStateException doesNotDecrypt) {
                    pass.undecryptable++;
                    LOG.warnf("bank token of link %s under key id %s does not decrypt; left as it is", t.linkId, t.keyId);
                }
            }
            return new Batch(rows.isEmpty() ? pass.after : rows.get(rows.size() - 1).linkId, rows.size());
        })).invoke(batch -> pass.after = batch.last());
    }

    private void report(Sweep sweep) {
        Map<String, Long> byKey = new TreeMap<>();
        cipher.retiringKeyIds().forEach(kid -> byKey.put(kid, 0L)); // a retired key at 0 may be removed
        byKey.putAll(sweep.remaining());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        byKey.forEach((kid, count) -> rows.add(MultiGauge.Row.of(
                Tags.of("key.id", kid, "configured", Boolean.toString(cipher.knows(kid))), count)));
        remainingGauge.register(rows, true);

        if (sweep.resealed() == 0 && sweep.stillUnderOtherKeys() == 0) {
            return;
        }
        LOG.infof("token key rotation: re-sealed %d bank tokens under active key id %s; still under other key ids: %s",
                sweep.resealed(), cipher.activeKeyId(), byKey);
        if (sweep.unreadable() > 0) {
            LOG.warnf("bank tokens that cannot be read: %d (key ids %s are no longer configured)", sweep.unreadable(),
                    sweep.unconfigured());
        }
        if (sweep.undecryptable() > 0) {
            LOG.warnf("bank tokens under configured key ids that do not decrypt, left as they are: %d", sweep.undecryptable());
        }
    }
}
