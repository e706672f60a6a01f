-- Inbox positions are assigned at commit instead of at append (issue 4 §7, measured with the
-- benchmark module). Before, the inbox head row stayed locked from the append until the request's
-- COMMIT reached the database — several network round trips — and every conversation with one
-- business queued behind it. Now an append only inserts the event; a deferred constraint trigger
-- takes the head lock, numbers the event and announces it while the transaction commits, so the
-- lock is held for the commit alone. Positions stay gapless and commit in order: the head lock is
-- released only after the commit is visible, so a reader that has seen position N never later finds
-- a new event below N. Deferred triggers fire in append order, so writers still lock a person's
-- inbox before a business's (no deadlocks).
ALTER TABLE inbox_events DROP CONSTRAINT inbox_events_pkey;
ALTER TABLE inbox_events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE inbox_events ADD PRIMARY KEY (id);
ALTER TABLE inbox_events ALTER COLUMN position DROP NOT NULL;  -- NULL only inside the writing transaction
CREATE UNIQUE INDEX inbox_events_participant_position ON inbox_events (participant, position);

-- An append is now a plain INSERT of (participant, kind, occurred_at, payload) by the application.
DROP FUNCTION inbox_append(varchar, varchar, text);

-- Runs at commit for each appended event. NOTIFY is delivered only on commit and carries just
-- '<position> <participant>': listeners read the committed rows themselves, so a lost notification
-- delays but never loses an event.
CREATE FUNCTION inbox_number_at_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pos bigint;
BEGIN
    INSERT INTO inbox_heads AS h (participant, last_position) VALUES (NEW.participant, 1)
        ON CONFLICT (participant) DO UPDATE SET last_position = h.last_position + 1
        RETURNING h.last_position INTO pos;
    UPDATE inbox_events SET position = pos, occurred_at = clock_timestamp() WHERE id = NEW.id;
    PERFORM pg_notify('chat_inbox', pos || ' ' || NEW.participant);
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER inbox_events_number_at_commit AFTER INSERT ON inbox_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inbox_number_at_commit();
