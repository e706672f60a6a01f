package io.commercechat.accounts.token.repository;

import io.commercechat.accounts.link.repository.Db;
import io.commercechat.accounts.token.service.TokenCipher.Sealed;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Encrypted bank tokens (table {@code bank_tokens}); plaintext never reaches this class. */
@ApplicationScoped
public class BankTokenRepository {

    /** A token whose link ended and which the bank still has to invalidate. */
    public record PendingRevocation(UUID linkId, Sealed sealed, String reason, int attempts) {}

    private final Db db;

    public BankTokenRepository(Db db) {
        this.db = db;
    }

    public void insert(Connection c, UUID linkId, Sealed sealed, Instant expiresAt, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO bank_tokens (link_id, key_id, nonce, ciphertext, expires_at, "
                + "created_at) VALUES (?,?,?,?,?,?)")) {
            s.setObject(1, linkId);
            s.setString(2, sealed.keyId());
            s.setBytes(3, sealed.nonce());
            s.setBytes(4, sealed.ciphertext());
            s.setTimestamp(5, expiresAt == null ? null : Timestamp.from(expiresAt));
            s.setTimestamp(6, Timestamp.from(now));
            s.executeUpdate();
        }
    }

    /** The usable token of a link (none once its link ended). */
    public Optional<Sealed> usable(UUID linkId) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT key_id, nonce, ciphertext FROM bank_tokens WHERE link_id = ? AND NOT revoke_pending")) {
                s.setObject(1, linkId);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(new Sealed(r.getString(1), r.getBytes(2), r.getBytes(3))) : Optional.empty();
                }
            }
        });
    }

    /** Stops all use of the token at once; the bank is told afterwards (and until it confirmed). */
    public void markForRevocation(UUID linkId, String reason, Instant now) {
        db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE bank_tokens SET revoke_pending = true, revoke_reason = ?, "
                    + "next_attempt_at = ? WHERE link_id = ?")) {
                s.setString(1, reason.length() > 255 ? reason.substring(0, 255) : reason);
                s.setTimestamp(2, Timestamp.from(now));
                s.setObject(3, linkId);
                return s.executeUpdate();
            }
        });
    }

    /**
     * Claims up to {@code limit} due revocations for {@code lease} (so that two replicas do not
     * work on the same row at the same time).
     */
    public List<PendingRevocation> claimDue(Instant now, Duration lease, int limit) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE bank_tokens SET next_attempt_at = ? WHERE link_id IN ("
                    + "SELECT link_id FROM bank_tokens WHERE revoke_pending AND next_attempt_at <= ? "
                    + "ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) "
                    + "RETURNING link_id, key_id, nonce, ciphertext, revoke_reason, revoke_attempts")) {
                s.setTimestamp(1, Timestamp.from(now.plus(lease)));
                s.setTimestamp(2, Timestamp.from(now));
                s.setInt(3, limit);
                List<PendingRevocation> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(new PendingRevocation(r.getObject(1, UUID.class),
                                new Sealed(r.getString(2), r.getBytes(3), r.getBytes(4)), r.getString(5), r.getInt(6)));
                    }
                }
                return out;
            }
        });
    }

    public void attemptFailed(UUID linkId, Instant nextAttemptAt) {
        db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE bank_tokens SET revoke_attempts = revoke_attempts + 1, "
                    + "next_attempt_at = ? WHERE link_id = ?")) {
                s.setTimestamp(1, Timestamp.from(nextAttemptAt));
                s.setObject(2, linkId);
                return s.executeUpdate();
            }
        });
    }

    public void delete(UUID linkId) {
        db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM bank_tokens WHERE link_id = ?")) {
                s.setObject(1, linkId);
                return s.executeUpdate();
            }
        });
    }
}
