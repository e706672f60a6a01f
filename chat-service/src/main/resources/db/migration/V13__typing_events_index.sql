-- The way TypingSweep finds old typing events (a typing event's occurred_at is set when its transaction commits).
-- Built CONCURRENTLY, so a migration on a large inbox_events does not block the inserts of the replicas still
-- running: Flyway runs a migration made only of such statements outside a transaction. IF NOT EXISTS: a build
-- interrupted half-way leaves an invalid index behind, which an operator drops before the migration runs again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS inbox_events_typing_at ON inbox_events (occurred_at) WHERE kind = 'typing';
