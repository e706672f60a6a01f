-- A batch of sends answers in brief (issue 4 §7, measured with the benchmark module): chat-service
-- already holds every message it sends, so for a sent message the database now answers only what it
-- decided (outcome, seq, sent_at) and the inbox positions the message took, instead of echoing the
-- whole row back (content included). The full stored row comes back only for a retry, whose first
-- message chat-service does not hold. V5's send_messages() copied eleven columns into its result per
-- send, one PL/pgSQL assignment each, and chat-service decoded them again; here the answers are
-- collected in arrays and returned by one query at the end.
--
-- The checks, their order, the locks and their order are V5's (see V5__send_in_batches.sql); only
-- the answer changed. send_messages() stays for one release, so that instances of the previous
-- version keep sending during a rolling update, but as a wrapper of this function (at the end), so the
-- rules live in one place; a later migration drops it, send_message() and inbox_append_message().
--
-- One row per send: item = its index in the arrays (from 1); outcome as in V5; for 'sent' its seq,
-- sent_at and the inboxes and positions its events took (the person's; the business's when the
-- message is visible to it): chat-service hands these committed events to its own open streams,
-- which then need not read them back; for 'duplicate' the first message's row (seq, sent_at and the
-- columns after them).
CREATE FUNCTION send_message_batch(
    p_conversation uuid[], p_person_sub varchar[], p_business_id varchar[], p_sender varchar[], p_id uuid[],
    p_client_message_id varchar[], p_kind varchar[], p_content text[], p_visibility varchar[], p_update_tag varchar[],
    p_source_consent_id varchar[], p_order_number varchar[], p_bank_only boolean[],
    p_reply_window interval, p_human_agent_window interval)
RETURNS TABLE (item int, outcome varchar, seq bigint, sent_at timestamptz, person_inbox varchar, person_position bigint,
               business_inbox varchar, business_position bigint, id uuid, conversation_id uuid, sender varchar, client_message_id varchar, kind varchar,
               content text, visibility varchar, update_tag varchar, source_consent_id varchar)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
    n int := coalesce(cardinality(p_conversation), 0);
    c conversations%ROWTYPE;
    result varchar;
    business_kind varchar;
    sent timestamptz;
    in_window boolean;
    next_seq bigint;
    first_id uuid;
    -- each send's answer, by item
    r_outcome varchar[] := array_fill(NULL::varchar, ARRAY[n]);
    r_seq bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    r_sent timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    r_first uuid[] := array_fill(NULL::uuid, ARRAY[n]);  -- a retry's first message
    -- the inbox events of the batch, in send order
    ev_participant varchar[] := '{}';
    ev_message uuid[] := '{}';
    ev_at timestamptz[] := '{}';
BEGIN
    PERFORM 1 FROM conversations WHERE id = ANY (p_conversation) ORDER BY id FOR UPDATE;

    FOR i IN 1 .. n LOOP
        result := NULL;
        sent := clock_timestamp();
        SELECT * INTO c FROM conversations WHERE id = p_conversation[i] FOR UPDATE;  -- locked above: re-reads it
        IF NOT FOUND OR c.person_sub <> coalesce(p_person_sub[i], c.person_sub)
                OR c.business_id <> coalesce(p_business_id[i], c.business_id) THEN
            result := 'not_found';
        ELSE
            -- a retry is found through the insert's unique key and answered with the first message
            -- whatever the conversation's state is now, so this comes before the rules below
            next_seq := c.last_seq + 1;
            INSERT INTO messages (id, conversation_id, seq, sender, client_message_id, kind, content, visibility,
                                  update_tag, sent_at, source_consent_id)
                VALUES (p_id[i], c.id, next_seq, p_sender[i], p_client_message_id[i], p_kind[i], p_content[i],
                        p_visibility[i], p_update_tag[i], sent, p_source_consent_id[i])
                ON CONFLICT (conversation_id, sender, client_message_id) DO NOTHING;
            IF NOT FOUND THEN
                SELECT CASE WHEN m.content = p_content[i] AND m.update_tag IS NOT DISTINCT FROM p_update_tag[i]
                            THEN 'duplicate' ELSE 'client_message_id_reused' END, m.id
                    INTO result, first_id
                    FROM messages m WHERE m.conversation_id = c.id AND m.sender = p_sender[i]
                    AND m.client_message_id = p_client_message_id[i];
                r_first[i] := first_id;
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
                        -- as in V5: a concurrent batch's send of the same number fails here on the key
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
                    r_seq[i] := next_seq;
                    r_sent[i] := sent;
                    ev_participant := ev_participant || ('p:' || c.person_sub)::varchar;
                    ev_message := ev_message || p_id[i];
                    ev_at := ev_at || sent;
                    IF p_visibility[i] = 'EVERYONE' THEN
                        ev_participant := ev_participant || ('b:' || c.business_id)::varchar;
                        ev_message := ev_message || p_id[i];
                        ev_at := ev_at || sent;
                    END IF;
                END IF;
            END IF;
        END IF;
        r_outcome[i] := result;
    END LOOP;

    -- As in V5: each inbox's events get the positions after its head, in send order, and one statement
    -- locks and moves every head in lock order (people's, then businesses', each by participant),
    -- last, so the head locks are held only for this append and the commit. The answers come out of
    -- the same statement, each sent message with the positions its events took.
    RETURN QUERY
        WITH ev AS (SELECT u.participant, u.message_id, u.at,
                           row_number() OVER (PARTITION BY u.participant ORDER BY u.n) AS k
                        FROM unnest(ev_participant, ev_message, ev_at) WITH ORDINALITY AS u (participant, message_id, at, n)),
             added AS (SELECT ev.participant, count(*) AS n FROM ev GROUP BY ev.participant),
             moved AS (INSERT INTO inbox_heads AS h (participant, last_position)
                        SELECT a.participant, a.n FROM added a ORDER BY a.participant LIKE 'b:%', a.participant
                        ON CONFLICT (participant) DO UPDATE SET last_position = h.last_position + excluded.last_position
                        RETURNING h.participant, h.last_position),
             appended AS (INSERT INTO inbox_events (participant, position, kind, occurred_at, message_id)
                        SELECT ev.participant, moved.last_position - added.n + ev.k, 'message', ev.at, ev.message_id
                            FROM ev JOIN added ON added.participant = ev.participant
                            JOIN moved ON moved.participant = ev.participant
                        RETURNING inbox_events.participant, inbox_events.position, inbox_events.message_id)
        SELECT s.item::int, s.outcome, coalesce(s.seq, f.seq), coalesce(s.sent_at, f.sent_at), pp.participant::varchar, pp.position,
               bp.participant::varchar, bp.position,
               f.id, f.conversation_id, f.sender::varchar, f.client_message_id::varchar, f.kind::varchar, f.content, f.visibility::varchar,
               f.update_tag::varchar, f.source_consent_id::varchar
            FROM unnest(r_outcome, r_seq, r_sent, r_first) WITH ORDINALITY AS s (outcome, seq, sent_at, first_id, item)
            LEFT JOIN appended pp ON s.outcome = 'sent' AND pp.message_id = p_id[s.item] AND left(pp.participant, 2) = 'p:'
            LEFT JOIN appended bp ON s.outcome = 'sent' AND bp.message_id = p_id[s.item] AND left(bp.participant, 2) = 'b:'
            LEFT JOIN LATERAL (SELECT * FROM messages m WHERE m.id = s.first_id AND s.outcome = 'duplicate' LIMIT 1) f ON true
            ORDER BY s.item;

    -- each inbox is announced once, with its new last position (delivered at commit)
    PERFORM pg_notify('chat_inbox', h.last_position || ' ' || h.participant)
        FROM inbox_heads h WHERE h.participant IN (SELECT DISTINCT unnest(ev_participant));
END;
$$;

-- V5's send_messages() for instances of the previous version during a rolling update: the same
-- arguments and answer (the messages row of a sent message or a retry's first one), now written by
-- send_message_batch(). The rows are read in a second statement, which sees what the first inserted.
CREATE OR REPLACE FUNCTION send_messages(
    p_conversation uuid[], p_person_sub varchar[], p_business_id varchar[], p_sender varchar[], p_id uuid[],
    p_client_message_id varchar[], p_kind varchar[], p_content text[], p_visibility varchar[], p_update_tag varchar[],
    p_source_consent_id varchar[], p_order_number varchar[], p_bank_only boolean[],
    p_reply_window interval, p_human_agent_window interval)
RETURNS TABLE (item int, outcome varchar, id uuid, conversation_id uuid, seq bigint, sender varchar,
               client_message_id varchar, kind varchar, content text, visibility varchar, update_tag varchar,
               sent_at timestamptz, source_consent_id varchar)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    b_outcome varchar[];
    b_message uuid[];
BEGIN
    SELECT array_agg(b.outcome ORDER BY b.item),
           array_agg(CASE b.outcome WHEN 'sent' THEN p_id[b.item] ELSE b.id END ORDER BY b.item)
        INTO b_outcome, b_message
        FROM send_message_batch(p_conversation, p_person_sub, p_business_id, p_sender, p_id, p_client_message_id,
                                p_kind, p_content, p_visibility, p_update_tag, p_source_consent_id, p_order_number,
                                p_bank_only, p_reply_window, p_human_agent_window) b;
    RETURN QUERY
        SELECT u.item::int, u.outcome, m.id, m.conversation_id, m.seq, m.sender::varchar, m.client_message_id::varchar,
               m.kind::varchar, m.content, m.visibility::varchar, m.update_tag::varchar, m.sent_at,
               m.source_consent_id::varchar
            FROM unnest(b_outcome, b_message) WITH ORDINALITY AS u (outcome, message_id, item)
            LEFT JOIN LATERAL (SELECT * FROM messages mm WHERE mm.id = u.message_id LIMIT 1) m ON true
            ORDER BY u.item;
END;
$$;
