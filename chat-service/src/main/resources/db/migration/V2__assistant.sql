-- The assistant in bank conversations (DESIGN.md section 7): account cards remember the consent
-- they were made under, so that ending the consent removes them.
ALTER TABLE messages ADD COLUMN source_consent_id varchar(64);
CREATE INDEX messages_source_consent_idx ON messages (source_consent_id) WHERE source_consent_id IS NOT NULL;

-- Where this service is in consent-service's event log, and which replica may follow it (a lease:
-- only the holder consumes; another replica takes over once the lease has run out).
CREATE TABLE consent_event_cursor (
    name        varchar(40)  PRIMARY KEY,
    position    bigint       NOT NULL,
    holder      varchar(100),
    lease_until timestamptz  NOT NULL
);
INSERT INTO consent_event_cursor (name, position, holder, lease_until) VALUES ('consent-events', 0, NULL, '-infinity');

-- Authorised consents and when they end, for the renewal offer (posted once: offered_at).
CREATE TABLE consent_expiries (
    consent_id  varchar(64)  PRIMARY KEY,
    person_sub  varchar(255) NOT NULL,
    bank_id     varchar(64)  NOT NULL,
    expires_at  timestamptz  NOT NULL,
    ended       boolean      NOT NULL DEFAULT false,
    offered_at  timestamptz
);
CREATE INDEX consent_expiries_due_idx ON consent_expiries (expires_at) WHERE offered_at IS NULL AND NOT ended;
