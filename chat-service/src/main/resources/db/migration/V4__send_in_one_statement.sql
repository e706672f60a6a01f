-- A send is one statement (issue 4 §7, measured with the benchmark module). Before, a send was
-- nine round trips through Hibernate (lock, idempotency lookup, business, activity number, insert,
-- update, two inbox appends, commit) and chat-service spent milliseconds of CPU on each. Now
-- send_message() does all of it in the database, in one implicit transaction, and the rules that
-- need the locked conversation (ownership, blocks, the 24-hour window, unique order numbers) are
-- checked there, under that lock.

-- Message events point at their message instead of carrying a copy of it: a stream renders the
-- message as it is now. So a replay after a consent ended shows the notice that replaced an
-- account card, never the bank data, and the copy no longer costs a JSON rendering per send.
-- No foreign key: the event is written in the same transaction as its message, messages are never
-- deleted, and the key's check would lock the message row twice per send (measured: ~8 % of a send).
ALTER TABLE inbox_events ADD COLUMN message_id uuid;
ALTER TABLE inbox_events ALTER COLUMN payload DROP NOT NULL;
UPDATE inbox_events SET message_id = (payload::json ->> 'id')::uuid, payload = NULL
    WHERE kind = 'message' AND participant LIKE 'p:%';
UPDATE inbox_events SET message_id = (payload::json -> 'message' ->> 'id')::uuid, payload = NULL
    WHERE kind = 'message' AND participant LIKE 'b:%';
ALTER TABLE inbox_events ADD CONSTRAINT inbox_events_message_or_payload
    CHECK ((kind = 'message') = (message_id IS NOT NULL) AND (message_id IS NULL) = (payload IS NOT NULL));

-- A send numbers its inbox events itself: it is one statement, so the head row lock it takes here is
-- held only for the rest of the statement and its commit, as long as the commit trigger (V3) would
-- hold it, and the trigger's second write of every event is saved (measured: ~20 % of a send in the
-- database). Events appended by multi-statement transactions are still numbered at their commit.
DROP TRIGGER inbox_events_number_at_commit ON inbox_events;
CREATE CONSTRAINT TRIGGER inbox_events_number_at_commit AFTER INSERT ON inbox_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.position IS NULL) EXECUTE FUNCTION inbox_number_at_commit();

CREATE FUNCTION inbox_append_message(p_participant varchar, p_message uuid, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pos bigint;
BEGIN
    INSERT INTO inbox_heads AS h (participant, last_position) VALUES (p_participant, 1)
        ON CONFLICT (participant) DO UPDATE SET last_position = h.last_position + 1
        RETURNING h.last_position INTO pos;
    INSERT INTO inbox_events (participant, position, kind, occurred_at, message_id)
        VALUES (p_participant, pos, 'message', p_at, p_message);
    PERFORM pg_notify('chat_inbox', pos || ' ' || p_participant);
END;
$$;

-- Appends a message to a conversation. p_person_sub / p_business_id: the sending side, whose
-- ownership is checked (both NULL for the assistant, which chat-service itself drives).
-- Outcomes: sent, duplicate (the same client message id with the same content and tag: the first
-- message is returned), not_found, client_message_id_reused, blocked, bank_data_not_for_shops,
-- receipts_for_shops, outside_reply_window, human_agent_window, order_number_taken.
CREATE FUNCTION send_message(
    p_conversation uuid, p_person_sub varchar, p_business_id varchar, p_sender varchar, p_id uuid,
    p_client_message_id varchar, p_kind varchar, p_content text, p_visibility varchar, p_update_tag varchar,
    p_source_consent_id varchar, p_order_number varchar, p_bank_only boolean,
    p_reply_window interval, p_human_agent_window interval)
RETURNS TABLE (outcome varchar, id uuid, conversation_id uuid, seq bigint, sender varchar, client_message_id varchar,
               kind varchar, content text, visibility varchar, update_tag varchar, sent_at timestamptz,
               source_consent_id varchar)  -- the messages row's columns, in its order
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c conversations%ROWTYPE;
    m messages%ROWTYPE;
    business_kind varchar;
    sent timestamptz := clock_timestamp();
    in_window boolean;
    next_seq bigint;
BEGIN
    SELECT * INTO c FROM conversations WHERE id = p_conversation FOR UPDATE;
    IF NOT FOUND OR c.person_sub <> coalesce(p_person_sub, c.person_sub)
            OR c.business_id <> coalesce(p_business_id, c.business_id) THEN
        RETURN QUERY SELECT 'not_found'::varchar, (m).*;  -- m is still all NULL
        RETURN;
    END IF;

    SELECT * INTO m FROM messages
        WHERE conversation_id = c.id AND sender = p_sender AND client_message_id = p_client_message_id;
    IF FOUND THEN
        RETURN QUERY SELECT CASE WHEN m.content = p_content AND m.update_tag IS NOT DISTINCT FROM p_update_tag
                                 THEN 'duplicate' ELSE 'client_message_id_reused' END::varchar,
            (m).*;
        RETURN;
    END IF;

    SELECT kind INTO business_kind FROM businesses WHERE id = c.business_id;
    in_window := c.person_last_message_at + p_reply_window > sent;
    RETURN QUERY SELECT refused, (m).*  -- m found nothing: all NULL
        FROM (SELECT CASE
            WHEN p_sender IN ('PERSON', 'BUSINESS') AND c.blocked THEN 'blocked'
            WHEN p_bank_only AND business_kind <> 'BANK' THEN 'bank_data_not_for_shops'
            WHEN p_sender = 'BUSINESS' AND p_order_number IS NOT NULL AND business_kind <> 'SHOP' THEN 'receipts_for_shops'
            WHEN p_sender = 'BUSINESS' AND NOT coalesce(in_window, false) AND p_update_tag IS NULL THEN 'outside_reply_window'
            WHEN p_sender = 'BUSINESS' AND NOT coalesce(in_window, false) AND p_update_tag = 'UPDATE_TAG_HUMAN_AGENT'
                 AND NOT coalesce(c.person_last_message_at + p_human_agent_window > sent, false) THEN 'human_agent_window'
            WHEN p_order_number IS NOT NULL AND EXISTS (SELECT 1 FROM receipt_orders
                 WHERE business_id = c.business_id AND order_number = p_order_number) THEN 'order_number_taken'
            END::varchar AS refused) r
        WHERE refused IS NOT NULL;
    IF FOUND THEN
        RETURN;
    END IF;

    next_seq := c.last_seq + 1;
    INSERT INTO messages (id, conversation_id, seq, sender, client_message_id, kind, content, visibility, update_tag,
                          sent_at, source_consent_id)
        VALUES (p_id, c.id, next_seq, p_sender, p_client_message_id, p_kind, p_content, p_visibility, p_update_tag,
                sent, p_source_consent_id);
    IF p_order_number IS NOT NULL THEN
        -- a concurrent send of the same number fails here on the primary key (order_number_taken)
        INSERT INTO receipt_orders (business_id, order_number, message_id) VALUES (c.business_id, p_order_number, p_id);
    END IF;
    UPDATE conversations SET last_seq = next_seq, last_message_at = sent,
            activity_seq = nextval('conversation_activity_seq'),
            person_last_message_at = CASE WHEN p_sender = 'PERSON' THEN sent ELSE person_last_message_at END,
            person_read_seq = CASE WHEN p_sender = 'PERSON' THEN next_seq ELSE person_read_seq END,
            business_read_seq = CASE WHEN p_sender = 'BUSINESS' THEN next_seq ELSE business_read_seq END
        WHERE id = c.id;
    -- the person's inbox first, then the business's: every writer takes inbox locks in this order
    PERFORM inbox_append_message('p:' || c.person_sub, p_id, sent);
    IF p_visibility = 'EVERYONE' THEN
        PERFORM inbox_append_message('b:' || c.business_id, p_id, sent);
    END IF;
    RETURN QUERY SELECT 'sent'::varchar, p_id, c.id, next_seq, p_sender, p_client_message_id, p_kind, p_content,
        p_visibility, p_update_tag, sent, p_source_consent_id;
END;
$$;
