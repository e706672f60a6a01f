-- Account links between a person and a partner bank (DESIGN.md section 6).
CREATE TABLE links (
    id               uuid PRIMARY KEY,
    list_seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- stable cursor for paging
    user_id          varchar(255)  NOT NULL,
    bank_id          varchar(64)   NOT NULL,
    consent_id       uuid          NOT NULL UNIQUE,
    status           varchar(40)   NOT NULL,
    status_reason    varchar(255)  NOT NULL DEFAULT '',
    permissions      varchar(255)  NOT NULL, -- comma-separated enum names
    purposes         varchar(255)  NOT NULL,
    redirect_uri     varchar(2048) NOT NULL,
    -- SHA-256 (hex) of the one-time state; the state itself is never stored.
    state_hash       varchar(64)   NOT NULL UNIQUE,
    state_used       boolean       NOT NULL DEFAULT false,
    state_expires_at timestamptz   NOT NULL,
    bank_link_id     varchar(255),
    created_at       timestamptz   NOT NULL,
    updated_at       timestamptz   NOT NULL,
    expires_at       timestamptz   NOT NULL
);
CREATE INDEX links_user_idx ON links (user_id, list_seq DESC);
CREATE UNIQUE INDEX links_bank_link_idx ON links (bank_id, bank_link_id) WHERE bank_link_id IS NOT NULL;

-- The accounts the person selected at the bank: metadata and masked numbers only.
CREATE TABLE linked_accounts (
    id              uuid PRIMARY KEY,
    link_id         uuid         NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    position        int          NOT NULL,
    bank_account_id varchar(255) NOT NULL,
    display_name    varchar(255) NOT NULL,
    type            varchar(40)  NOT NULL,
    currency        varchar(3)   NOT NULL,
    masked_number   varchar(32)  NOT NULL,
    UNIQUE (link_id, bank_account_id)
);

-- Bank access tokens, AES-256-GCM encrypted (associated data: link id). A row whose link ended
-- waits here (revoke_pending) until the bank confirmed RevokeAccess, then it is deleted.
CREATE TABLE bank_tokens (
    link_id        uuid PRIMARY KEY REFERENCES links (id),
    key_id         varchar(64)  NOT NULL,
    nonce          bytea        NOT NULL,
    ciphertext     bytea        NOT NULL,
    expires_at     timestamptz,
    created_at     timestamptz  NOT NULL,
    revoke_pending boolean      NOT NULL DEFAULT false,
    revoke_reason  varchar(255) NOT NULL DEFAULT '',
    revoke_attempts int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz
);
CREATE INDEX bank_tokens_pending_idx ON bank_tokens (next_attempt_at) WHERE revoke_pending;

-- How far this service has processed ConsentService.WatchConsentEvents (durable resume point).
CREATE TABLE consent_event_positions (
    consumer   varchar(64) PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);
