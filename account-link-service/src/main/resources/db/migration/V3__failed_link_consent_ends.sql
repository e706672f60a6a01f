-- A link that fails ends its consent (rejected while it awaits authorisation, revoked once authorised), so no
-- consent stays authorised for a link that does not exist. When consent-service cannot be told at that moment,
-- the end is retried until it is done: the link is marked due in the same statement that fails it, and the mark is
-- cleared once consent-service has ended the consent (FailedLinkConsents; a replica that stops in between leaves the
-- mark for another). Before, the end was tried once and a failure only logged.
ALTER TABLE links ADD COLUMN consent_end_due_at timestamptz;
ALTER TABLE links ADD COLUMN consent_end_attempts int NOT NULL DEFAULT 0;
CREATE INDEX links_consent_end_due_idx ON links (consent_end_due_at) WHERE consent_end_due_at IS NOT NULL;
