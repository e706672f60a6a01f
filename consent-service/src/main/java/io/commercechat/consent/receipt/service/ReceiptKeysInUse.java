package io.commercechat.consent.receipt.service;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;

/**
 * At start, after the migrations: every key id that stored receipts were signed under must be published (the signing
 * key or consent.receipts.previous-public-jwks), or the start stops. A key rotation that dropped an old public key too
 * early would otherwise leave every receipt signed under it unverifiable, and nothing would say so; a rollout with it
 * never becomes ready, and the pods before it go on serving.
 */
@ApplicationScoped
public class ReceiptKeysInUse {

    /** The distinct key ids, one index probe each (receipts_key_id), however many receipts there are. */
    private static final String KEY_IDS = "WITH RECURSIVE k (id) AS (SELECT min(key_id) FROM receipts"
            + " UNION ALL SELECT (SELECT min(key_id) FROM receipts WHERE key_id > k.id) FROM k WHERE k.id IS NOT NULL)"
            + " SELECT id FROM k WHERE id IS NOT NULL";

    void check(@Observes StartupEvent start, AgroalDataSource database, ReceiptSigner signer) {
        Set<String> published = signer.publishedKeyIds();
        Set<String> unpublished = new TreeSet<>();
        try (Connection c = database.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(KEY_IDS)) {
            while (rs.next()) {
                if (!published.contains(rs.getString(1))) {
                    unpublished.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the key ids of the stored receipts", e);
        }
        if (!unpublished.isEmpty()) {
            throw new IllegalStateException("receipts were signed under key ids " + unpublished + " that are not published:"
                    + " add their public keys to consent.receipts.previous-public-jwks (k8s/README.md, key rotation),"
                    + " or those receipts can no longer be verified");
        }
    }
}
