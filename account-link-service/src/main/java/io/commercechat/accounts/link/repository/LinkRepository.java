package io.commercechat.accounts.link.repository;

import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.LinkedAccount;
import io.commercechat.proto.accounts.v1.AccountType;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/** Links and their accounts (table {@code links}, {@code linked_accounts}). */
@ApplicationScoped
public class LinkRepository {

    private static final String COLUMNS = "id, list_seq, user_id, bank_id, consent_id, status, status_reason, permissions, "
            + "purposes, redirect_uri, state_hash, state_used, state_expires_at, bank_link_id, created_at, updated_at, expires_at";

    private final Db db;

    public LinkRepository(Db db) {
        this.db = db;
    }

    public void insertPending(UUID id, String userId, String bankId, UUID consentId, List<Permission> permissions,
            List<Purpose> purposes, String redirectUri, String stateHash, Instant stateExpiresAt, Instant now, Instant expiresAt) {
        db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO links (id, user_id, bank_id, consent_id, status, "
                    + "permissions, purposes, redirect_uri, state_hash, state_expires_at, created_at, updated_at, expires_at) "
                    + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                s.setObject(1, id);
                s.setString(2, userId);
                s.setString(3, bankId);
                s.setObject(4, consentId);
                s.setString(5, LinkStatus.LINK_STATUS_PENDING.name());
                s.setString(6, permissions.stream().map(Enum::name).collect(Collectors.joining(",")));
                s.setString(7, purposes.stream().map(Enum::name).collect(Collectors.joining(",")));
                s.setString(8, redirectUri);
                s.setString(9, stateHash);
                s.setTimestamp(10, Timestamp.from(stateExpiresAt));
                s.setTimestamp(11, Timestamp.from(now));
                s.setTimestamp(12, Timestamp.from(now));
                s.setTimestamp(13, Timestamp.from(expiresAt));
                s.executeUpdate();
            }
            return null;
        });
    }

    public Optional<Link> find(UUID id) {
        return db.read(c -> one(c, "SELECT " + COLUMNS + " FROM links WHERE id = ?", id));
    }

    public Optional<Link> findByConsent(UUID consentId) {
        return db.read(c -> one(c, "SELECT " + COLUMNS + " FROM links WHERE consent_id = ?", consentId));
    }

    public Optional<Link> findByBankLink(String bankId, String bankLinkId) {
        return db.read(c -> one(c, "SELECT " + COLUMNS + " FROM links WHERE bank_id = ? AND bank_link_id = ?", bankId, bankLinkId));
    }

    public Optional<Link> findByStateHash(String stateHash) {
        return db.read(c -> one(c, "SELECT " + COLUMNS + " FROM links WHERE state_hash = ?", stateHash));
    }

    /** Uses the one-time state atomically: only the first caller gets the link. */
    public Optional<Link> claimState(String stateHash, String userId, Instant now) {
        return db.read(c -> one(c, "UPDATE links SET state_used = true, updated_at = ? WHERE state_hash = ? AND user_id = ? "
                + "AND NOT state_used AND status = 'LINK_STATUS_PENDING' RETURNING " + COLUMNS, Timestamp.from(now), stateHash, userId));
    }

    /** Newest first, before a list_seq. */
    public List<Link> page(String userId, long beforeSeq, int limit) {
        return db.read(c -> list(c, "SELECT " + COLUMNS + " FROM links WHERE user_id = ? AND list_seq < ? ORDER BY list_seq DESC LIMIT ?",
                userId, beforeSeq, limit));
    }

    public List<Link> active(String userId) {
        return db.read(c -> list(c, "SELECT " + COLUMNS + " FROM links WHERE user_id = ? AND status = 'LINK_STATUS_ACTIVE' "
                + "ORDER BY list_seq DESC LIMIT 200", userId));
    }

    /**
     * Moves a link from one of the given statuses to another; false when it was in none of them
     * (someone else ended it first), which makes every ending idempotent.
     */
    public boolean transition(UUID id, Collection<LinkStatus> from, LinkStatus to, String reason, Instant now) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE links SET status = ?, status_reason = ?, updated_at = ? "
                    + "WHERE id = ? AND status = ANY (?)")) {
                s.setString(1, to.name());
                s.setString(2, truncate(reason));
                s.setTimestamp(3, Timestamp.from(now));
                s.setObject(4, id);
                s.setArray(5, c.createArrayOf("varchar", from.stream().map(Enum::name).toArray()));
                return s.executeUpdate() == 1;
            }
        });
    }

    /** PENDING -> ACTIVE with the bank's link id and the selected accounts, in the transaction of the token insert. */
    public boolean activate(Connection c, UUID id, String bankLinkId, List<LinkedAccount> accounts, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE links SET status = 'LINK_STATUS_ACTIVE', status_reason = '', "
                + "bank_link_id = ?, updated_at = ? WHERE id = ? AND status = 'LINK_STATUS_PENDING'")) {
            s.setString(1, bankLinkId);
            s.setTimestamp(2, Timestamp.from(now));
            s.setObject(3, id);
            if (s.executeUpdate() != 1) {
                return false;
            }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO linked_accounts (id, link_id, position, bank_account_id, "
                + "display_name, type, currency, masked_number) VALUES (?,?,?,?,?,?,?,?)")) {
            for (LinkedAccount a : accounts) {
                s.setObject(1, a.id());
                s.setObject(2, a.linkId());
                s.setInt(3, a.position());
                s.setString(4, a.bankAccountId());
                s.setString(5, truncate(a.displayName()));
                s.setString(6, a.type().name());
                s.setString(7, a.currency());
                s.setString(8, a.maskedNumber());
                s.addBatch();
            }
            s.executeBatch();
        }
        return true;
    }

    /** Accounts of the given links, grouped by link id (in position order). */
    public Map<UUID, List<LinkedAccount>> accountsOf(Collection<UUID> linkIds) {
        Map<UUID, List<LinkedAccount>> byLink = new LinkedHashMap<>();
        if (linkIds.isEmpty()) {
            return byLink;
        }
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id, link_id, position, bank_account_id, display_name, type, "
                    + "currency, masked_number FROM linked_accounts WHERE link_id = ANY (?) ORDER BY link_id, position")) {
                s.setArray(1, c.createArrayOf("uuid", linkIds.toArray()));
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        LinkedAccount a = account(r);
                        byLink.computeIfAbsent(a.linkId(), k -> new ArrayList<>()).add(a);
                    }
                }
            }
            return byLink;
        });
    }

    public Optional<LinkedAccount> findAccount(UUID accountId) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id, link_id, position, bank_account_id, display_name, type, "
                    + "currency, masked_number FROM linked_accounts WHERE id = ?")) {
                s.setObject(1, accountId);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(account(r)) : Optional.empty();
                }
            }
        });
    }

    private static LinkedAccount account(ResultSet r) throws SQLException {
        return new LinkedAccount(r.getObject(1, UUID.class), r.getObject(2, UUID.class), r.getInt(3), r.getString(4),
                r.getString(5), AccountType.valueOf(r.getString(6)), r.getString(7), r.getString(8));
    }

    private static Optional<Link> one(Connection c, String sql, Object... args) throws SQLException {
        List<Link> found = list(c, sql, args);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    private static List<Link> list(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            List<Link> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(link(r));
                }
            }
            return out;
        }
    }

    private static Link link(ResultSet r) throws SQLException {
        return new Link(r.getObject("id", UUID.class), r.getLong("list_seq"), r.getString("user_id"), r.getString("bank_id"),
                r.getObject("consent_id", UUID.class), LinkStatus.valueOf(r.getString("status")), r.getString("status_reason"),
                split(r.getString("permissions"), Permission::valueOf), split(r.getString("purposes"), Purpose::valueOf),
                r.getString("redirect_uri"), r.getString("state_hash"), r.getBoolean("state_used"),
                instant(r, "state_expires_at"), r.getString("bank_link_id"), instant(r, "created_at"), instant(r, "updated_at"),
                instant(r, "expires_at"));
    }

    private static <E> List<E> split(String csv, java.util.function.Function<String, E> parse) {
        return csv == null || csv.isEmpty() ? List.of() : Arrays.stream(csv.split(",")).map(parse).toList();
    }

    private static Instant instant(ResultSet r, String column) throws SQLException {
        Timestamp t = r.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String truncate(String s) {
        return s == null ? "" : s.length() > 255 ? s.substring(0, 255) : s;
    }
}
