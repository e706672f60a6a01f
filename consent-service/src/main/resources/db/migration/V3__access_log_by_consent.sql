-- A person's access log filtered to one consent (ListAccessRecords with consent_id, chat-service's
-- /v1/access-log?consentId=): with only (user_id, list_seq) the page walked every record of the person (they grow
-- with every bank read and are kept) to find the few of one consent, or none for an id that matches nothing.
-- Built CONCURRENTLY, so a migration on a large access_records does not block the access checks of the replicas
-- still running: Flyway runs a migration made only of such statements outside a transaction. IF NOT EXISTS: a build
-- interrupted half-way leaves an invalid index behind, which an operator drops before the migration runs again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS access_records_user_consent_idx ON access_records (user_id, consent_id, list_seq DESC);
