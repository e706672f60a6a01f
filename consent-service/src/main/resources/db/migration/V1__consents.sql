-- Consents for reading a person's bank data (DESIGN.md section 5).
CREATE TABLE consents (
    id               uuid PRIMARY KEY,
    list_seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- stable cursor for paging
    user_id          varchar(255) NOT NULL,
    bank_id          varchar(64)  NOT NULL,
    permissions      varchar(255) NOT NULL, -- comma-separated enum names
    purposes         varchar(255) NOT NULL,
    account_ids      text         NOT NULL DEFAULT '',
    transaction_from timestamptz,
    transaction_to   timestamptz,
    created_at       timestamptz  NOT NULL,
    expires_at       timestamptz  NOT NULL,
    updated_at       timestamptz  NOT NULL,
    authorised_at    timestamptz,
    status           varchar(40)  NOT NULL,
    status_reason    varchar(255) NOT NULL DEFAULT '',
    ended_by         varchar(20),
    version          bigint       NOT NULL
);
CREATE INDEX consents_user_idx ON consents (user_id, list_seq DESC);
CREATE INDEX consents_status_idx ON consents (status, expires_at);

-- Append-only, hash-chained log of every consent state change. Position is the durable cursor
-- of WatchConsentEvents; appends are serialized so positions commit in order.
CREATE TABLE consent_events (
    position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      uuid         NOT NULL UNIQUE,
    consent_id    uuid         NOT NULL REFERENCES consents (id),
    type          varchar(40)  NOT NULL,
    actor         varchar(20)  NOT NULL,
    occurred_at   timestamptz  NOT NULL,
    snapshot      text         NOT NULL, -- the consent right after the event (JSON)
    previous_hash varchar(64)  NOT NULL,
    hash          varchar(64)  NOT NULL
);

-- Every CheckAccess decision, shown to the person.
CREATE TABLE access_records (
    id          uuid PRIMARY KEY,
    list_seq    bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    user_id     varchar(255) NOT NULL,
    bank_id     varchar(64)  NOT NULL,
    account_id  varchar(64)  NOT NULL DEFAULT '',
    consent_id  uuid,
    service     varchar(255) NOT NULL,
    permission  varchar(40)  NOT NULL,
    purpose     varchar(40)  NOT NULL,
    decision    varchar(40)  NOT NULL,
    reason      varchar(255) NOT NULL,
    occurred_at timestamptz  NOT NULL
);
CREATE INDEX access_records_user_idx ON access_records (user_id, list_seq DESC);

-- Signed consent receipts (compact JWS).
CREATE TABLE receipts (
    id         uuid PRIMARY KEY,
    consent_id uuid         NOT NULL REFERENCES consents (id),
    kind       varchar(40)  NOT NULL,
    jws        text         NOT NULL,
    key_id     varchar(64)  NOT NULL,
    issued_at  timestamptz  NOT NULL,
    UNIQUE (consent_id, kind)
);
