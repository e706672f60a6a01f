-- The key ids receipts were signed under, found at start by a loose index scan (ReceiptKeysInUse): each must still be
-- published, or those receipts can no longer be verified. Not CONCURRENTLY: consent-service migrates under Flyway's
-- own lock, whose open transaction a concurrent build would wait for without end. receipts holds two rows a consent,
-- so the build blocks the receipts' inserts (authorisations, revocations) of the replicas still running for about a
-- second per million rows.
CREATE INDEX receipts_key_id ON receipts (key_id);
