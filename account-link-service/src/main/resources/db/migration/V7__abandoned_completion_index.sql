-- AbandonedCompletions' way to the PENDING links (few among all links). Built CONCURRENTLY, so the migration does not
-- block the writes of replicas still running: Flyway runs a migration made only of such statements outside a
-- transaction (and takes its own lock outside one too, see MigrationLocking). IF NOT EXISTS: a build interrupted
-- half-way leaves an invalid index behind, which an operator drops before the migration runs again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS links_pending_idx ON links (updated_at) WHERE status = 'LINK_STATUS_PENDING';
