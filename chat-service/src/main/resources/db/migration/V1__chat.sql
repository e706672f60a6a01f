-- Chat (DESIGN.md section 7): businesses, conversations, messages, inboxes.

CREATE TABLE businesses (
    id              varchar(64)  PRIMARY KEY,
    display_name    varchar(200) NOT NULL,
    kind            varchar(10)  NOT NULL CHECK (kind IN ('BANK', 'SHOP')),
    partner_bank_id varchar(64),  -- the account-link-service bank id, for BANK only
    created_at      timestamptz  NOT NULL DEFAULT now(),
    CHECK ((kind = 'BANK') = (partner_bank_id IS NOT NULL))
);
INSERT INTO businesses (id, display_name, kind, partner_bank_id) VALUES
    ('sandbox-bank', 'Sandbox Bank', 'BANK', 'sandbox-bank'),
    ('demo-shop', 'Demo Shop', 'SHOP', NULL);

-- Orders conversations by last activity; one global sequence gives a stable single-number cursor.
CREATE SEQUENCE conversation_activity_seq;

-- One conversation per (person, business). The person's read watermark, the business's read
-- watermark and the person's block live on the row: a conversation has exactly these two sides.
CREATE TABLE conversations (
    id                     uuid         PRIMARY KEY,
    person_sub             varchar(255) NOT NULL,
    business_id            varchar(64)  NOT NULL REFERENCES businesses (id),
    person_ref             varchar(64)  NOT NULL,  -- pairwise, opaque; what the business sees
    person_display_name    varchar(100) NOT NULL,
    last_seq               bigint       NOT NULL DEFAULT 0,
    last_message_at        timestamptz,
    person_last_message_at timestamptz,
    person_read_seq        bigint       NOT NULL DEFAULT 0,
    business_read_seq      bigint       NOT NULL DEFAULT 0,
    blocked                boolean      NOT NULL DEFAULT false,
    activity_seq           bigint       NOT NULL,
    created_at             timestamptz  NOT NULL,
    UNIQUE (person_sub, business_id),
    UNIQUE (business_id, person_ref)
);
CREATE INDEX conversations_person_idx ON conversations (person_sub, activity_seq DESC);
CREATE INDEX conversations_business_idx ON conversations (business_id, activity_seq DESC);

CREATE TABLE messages (
    id                uuid        PRIMARY KEY,
    conversation_id   uuid        NOT NULL REFERENCES conversations (id),
    seq               bigint      NOT NULL,
    sender            varchar(20) NOT NULL,  -- PERSON, BUSINESS, ASSISTANT, SYSTEM
    client_message_id varchar(64) NOT NULL,
    kind              varchar(20) NOT NULL,  -- TEXT, QUICK_REPLIES, BUTTONS, RECEIPT, ACCOUNT_CARD, NOTICE
    content           text        NOT NULL,  -- MessageContent in the protobuf JSON mapping
    visibility        varchar(20) NOT NULL CHECK (visibility IN ('EVERYONE', 'PERSON_ONLY')),
    update_tag        varchar(40),
    sent_at           timestamptz NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, sender, client_message_id)
);

-- Receipt order numbers are unique per shop.
CREATE TABLE receipt_orders (
    business_id  varchar(64) NOT NULL REFERENCES businesses (id),
    order_number varchar(64) NOT NULL,
    message_id   uuid        NOT NULL REFERENCES messages (id),
    PRIMARY KEY (business_id, order_number)
);

-- Inboxes: an append-only event log per participant ('p:<sub>' or 'b:<business id>'). The head
-- row is updated in the writer's transaction, so positions of one inbox are gapless and commit in
-- order: a reader that has seen position N never later finds a new event below N.
CREATE TABLE inbox_heads (
    participant   varchar(300) PRIMARY KEY,
    last_position bigint       NOT NULL
);

CREATE TABLE inbox_events (
    participant varchar(300) NOT NULL,
    position    bigint       NOT NULL,
    kind        varchar(20)  NOT NULL,  -- message, read, typing, redacted, conversation
    occurred_at timestamptz  NOT NULL,
    payload     text         NOT NULL,  -- JSON, already shaped for that participant
    PRIMARY KEY (participant, position)
);

-- Appends one event to a participant's inbox inside the caller's transaction and announces it.
-- The head row lock serializes writers of one inbox until commit, so positions commit in order.
-- NOTIFY is delivered only on commit and carries just '<position> <participant>': listeners then
-- read the committed rows themselves, so a lost notification delays but never loses an event.
CREATE FUNCTION inbox_append(p_participant varchar, p_kind varchar, p_payload text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    pos bigint;
BEGIN
    INSERT INTO inbox_heads AS h (participant, last_position) VALUES (p_participant, 1)
        ON CONFLICT (participant) DO UPDATE SET last_position = h.last_position + 1
        RETURNING h.last_position INTO pos;
    INSERT INTO inbox_events (participant, position, kind, occurred_at, payload)
        VALUES (p_participant, pos, p_kind, clock_timestamp(), p_payload);
    PERFORM pg_notify('chat_inbox', pos || ' ' || p_participant);
    RETURN pos;
END;
$$;
