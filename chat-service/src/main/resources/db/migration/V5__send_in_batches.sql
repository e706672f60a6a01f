-- Sends are committed in batches (issue 4 §7, measured with the benchmark module). One send per
-- transaction held its business's inbox head lock, and PostgreSQL's cluster-wide NOTIFY lock, across
-- its own commit: with durable commits every send to one business waited for the flush of the one
-- before it (490 sends/s, whatever the number of connections or replicas). chat-service now hands
-- the sends that arrive while earlier ones are being written to send_messages() together: one
-- statement, one transaction, one commit flush for all of them.
--
-- Each send gets the checks and outcomes of V4's send_message(), applied in array order: a later
-- send sees the earlier ones of its batch (a retry of a message in the same batch is a duplicate, an
-- order number used earlier in the batch is taken, a business may answer a person's message of the
-- same batch). The inbox events of the whole batch are then appended together: one head update and
-- one notification per inbox instead of one per event (measured: the per-event appends were 30 %
-- of a send's time in the database).
--
-- Batches of different chat-service instances (and an instance's batches in flight) run at the same
-- time, so a batch takes its locks in one order that every writer follows: all its conversations
-- first, by id; at the end, for the inbox append, people's inbox heads by participant, then
-- businesses' heads by participant (taken last, the head of a business all senders share is held only
-- for the append and the commit). Single-conversation writers (read receipts, sharing, redaction)
-- lock their conversation and then, at commit (V3), the person's head before the business's: the
-- same order.

-- V4's send_message() is replaced: a send is now one step of send_messages()'s loop (a nested
-- function call per send cost a third of the send's time in the database). It stays for one release,
-- so that instances of the previous version keep sending during a rolling update; a later migration
-- drops it and inbox_append_message().

-- p_person_sub / p_business_id: the sending side, whose ownership is checked (both NULL for the
-- assistant, which chat-service itself drives). One row per send, item = its index in the arrays
-- (from 1), with its outcome: sent, duplicate (the same client message id with the same content and
-- tag: the first message is returned), not_found, client_message_id_reused, blocked,
-- bank_data_not_for_shops, receipts_for_shops, outside_reply_window, human_agent_window,
-- order_number_taken; and the messages row it names, if any.
CREATE FUNCTION send_messages(
    p_conversation uuid[], p_person_sub varchar[], p_business_id varchar[], p_sender varchar[], p_id uuid[],
    p_client_message_id varchar[], p_kind varchar[], p_content text[], p_visibility varchar[], p_update_tag varchar[],
    p_source_consent_id varchar[], p_order_number varchar[], p_bank_only boolean[],
    p_reply_window interval, p_human_agent_window interval)
RETURNS TABLE (item int, outcome varchar, id uuid, conversation_id uuid, seq bigint, sender varchar,
               client_message_id varchar, kind varchar, content text, visibility varchar, update_tag varchar,
               sent_at timestamptz, source_consent_id varchar)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c conversations%ROWTYPE;
    m messages%ROWTYPE;
    result varchar;
    business_kind varchar;
    sent timestamptz;
    in_window boolean;
    next_seq bigint;
    -- the inbox events of the batch, in send order
    ev_participant varchar[] := '{}';
    ev_message uuid[] := '{}';
    ev_at timestamptz[] := '{}';
BEGIN
    PERFORM 1 FROM conversations WHERE id = ANY (p_conversation) ORDER BY id FOR UPDATE;

    FOR i IN 1 .. coalesce(cardinality(p_conversation), 0) LOOP
        m := NULL;
        result := NULL;
        sent := clock_timestamp();
        SELECT * INTO c FROM conversations WHERE id = p_conversation[i] FOR UPDATE;  -- locked above: re-reads it
        IF NOT FOUND OR c.person_sub <> coalesce(p_person_sub[i], c.person_sub)
                OR c.business_id <> coalesce(p_business_id[i], c.business_id) THEN
            result := 'not_found';
        ELSE
            -- The insert finds a retry through the client message id's unique key (a lookup before it
            -- was the most expensive statement of a send). A retry is answered with the first message
            -- whatever the conversation's state is now, so this comes before the rules below.
            next_seq := c.last_seq + 1;
            INSERT INTO messages (id, conversation_id, seq, sender, client_message_id, kind, content, visibility,
                                  update_tag, sent_at, source_consent_id)
                VALUES (p_id[i], c.id, next_seq, p_sender[i], p_client_message_id[i], p_kind[i], p_content[i],
                        p_visibility[i], p_update_tag[i], sent, p_source_consent_id[i])
                ON CONFLICT (conversation_id, sender, client_message_id) DO NOTHING;
            IF NOT FOUND THEN
                SELECT * INTO m FROM messages WHERE conversation_id = c.id AND sender = p_sender[i]
                    AND client_message_id = p_client_message_id[i];
                result := CASE WHEN m.content = p_content[i] AND m.update_tag IS NOT DISTINCT FROM p_update_tag[i]
                               THEN 'duplicate' ELSE 'client_message_id_reused' END;
            ELSE
                SELECT b.kind INTO business_kind FROM businesses b WHERE b.id = c.business_id;
                in_window := c.person_last_message_at + p_reply_window > sent;
                result := CASE
                    WHEN p_sender[i] IN ('PERSON', 'BUSINESS') AND c.blocked THEN 'blocked'
                    WHEN p_bank_only[i] AND business_kind <> 'BANK' THEN 'bank_data_not_for_shops'
                    WHEN p_sender[i] = 'BUSINESS' AND p_order_number[i] IS NOT NULL AND business_kind <> 'SHOP'
                         THEN 'receipts_for_shops'
                    WHEN p_sender[i] = 'BUSINESS' AND NOT coalesce(in_window, false) AND p_update_tag[i] IS NULL
                         THEN 'outside_reply_window'
                    WHEN p_sender[i] = 'BUSINESS' AND NOT coalesce(in_window, false)
                         AND p_update_tag[i] = 'UPDATE_TAG_HUMAN_AGENT'
                         AND NOT coalesce(c.person_last_message_at + p_human_agent_window > sent, false)
                         THEN 'human_agent_window'
                    WHEN p_order_number[i] IS NOT NULL AND EXISTS (SELECT 1 FROM receipt_orders r
                         WHERE r.business_id = c.business_id AND r.order_number = p_order_number[i])
                         THEN 'order_number_taken'
                    END;
                IF result IS NOT NULL THEN
                    DELETE FROM messages WHERE id = p_id[i];  -- inserted just above, never seen by anyone
                ELSE
                    IF p_order_number[i] IS NOT NULL THEN
                        -- a concurrent batch's send of the same number fails here on the primary key (its batch
                        -- is then written one by one: order_number_taken); two batches taking two numbers in
                        -- opposite order deadlock, and PostgreSQL's detector fails one of them the same way
                        INSERT INTO receipt_orders (business_id, order_number, message_id)
                            VALUES (c.business_id, p_order_number[i], p_id[i]);
                    END IF;
                    UPDATE conversations SET last_seq = next_seq, last_message_at = sent,
                            activity_seq = nextval('conversation_activity_seq'),
                            person_last_message_at = CASE WHEN p_sender[i] = 'PERSON' THEN sent
                                                          ELSE person_last_message_at END,
                            person_read_seq = CASE WHEN p_sender[i] = 'PERSON' THEN next_seq ELSE person_read_seq END,
                            business_read_seq = CASE WHEN p_sender[i] = 'BUSINESS' THEN next_seq
                                                     ELSE business_read_seq END
                        WHERE id = c.id;
                    result := 'sent';
                    m.id := p_id[i]; m.conversation_id := c.id; m.seq := next_seq; m.sender := p_sender[i];
                    m.client_message_id := p_client_message_id[i]; m.kind := p_kind[i]; m.content := p_content[i];
                    m.visibility := p_visibility[i]; m.update_tag := p_update_tag[i]; m.sent_at := sent;
                    m.source_consent_id := p_source_consent_id[i];
                    ev_participant := ev_participant || ('p:' || c.person_sub)::varchar;
                    ev_message := ev_message || m.id;
                    ev_at := ev_at || sent;
                    IF p_visibility[i] = 'EVERYONE' THEN
                        ev_participant := ev_participant || ('b:' || c.business_id)::varchar;
                        ev_message := ev_message || m.id;
                        ev_at := ev_at || sent;
                    END IF;
                END IF;
            END IF;
        END IF;
        item := i; outcome := result; id := m.id; conversation_id := m.conversation_id; seq := m.seq;
        sender := m.sender; client_message_id := m.client_message_id; kind := m.kind; content := m.content;
        visibility := m.visibility; update_tag := m.update_tag; sent_at := m.sent_at;
        source_consent_id := m.source_consent_id;
        RETURN NEXT;
    END LOOP;

    -- each inbox's events get the positions after its head, in send order (so a conversation's
    -- events follow its seq), and each inbox is announced once, with its new last position
    IF cardinality(ev_participant) > 0 THEN
        -- One statement locks and moves every head, in lock order (people's, then businesses', each by
        -- participant), creating the heads that do not exist yet; the head locks come last, so they are
        -- held only for this append and the commit.
        WITH ev AS (SELECT u.participant, u.message_id, u.at,
                           row_number() OVER (PARTITION BY u.participant ORDER BY u.n) AS k
                        FROM unnest(ev_participant, ev_message, ev_at) WITH ORDINALITY AS u (participant, message_id, at, n)),
             added AS (SELECT ev.participant, count(*) AS n FROM ev GROUP BY ev.participant),
             moved AS (INSERT INTO inbox_heads AS h (participant, last_position)
                        SELECT a.participant, a.n FROM added a ORDER BY a.participant LIKE 'b:%', a.participant
                        ON CONFLICT (participant) DO UPDATE SET last_position = h.last_position + excluded.last_position
                        RETURNING h.participant, h.last_position)
        INSERT INTO inbox_events (participant, position, kind, occurred_at, message_id)
            SELECT ev.participant, moved.last_position - added.n + ev.k, 'message', ev.at, ev.message_id
                FROM ev JOIN added ON added.participant = ev.participant JOIN moved ON moved.participant = ev.participant;
        PERFORM pg_notify('chat_inbox', h.last_position || ' ' || h.participant)
            FROM inbox_heads h WHERE h.participant IN (SELECT DISTINCT unnest(ev_participant));
    END IF;
END;
$$;

-- Every lookup of a send goes through a key (conversation id, client message id, inbox participant),
-- but PL/pgSQL keeps a statement's generic plan for the life of the connection, and a plan made while
-- messages was nearly empty scans the table (measured: a fresh database's plan read ~600 pages per send
-- until autoanalyze ran). Without sequential scans the plans use the keys however small the tables are.
ALTER FUNCTION send_messages(uuid[], varchar[], varchar[], varchar[], uuid[], varchar[], varchar[], text[], varchar[],
    varchar[], varchar[], varchar[], boolean[], interval, interval) SET enable_seqscan = off;
