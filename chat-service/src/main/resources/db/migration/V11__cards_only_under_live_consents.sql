-- An account card is never written under a consent whose end chat-service has already handled (issue 4 §4).
-- ConsentEventWatcher replaces the cards of an ended consent; a card whose read was allowed just before the end
-- but that was written just after the replacement (the bank answered, then the write waited) stayed visible. Now
-- card_consents has a row per consent that cards were written under or that ended: the watcher marks an ended
-- consent there, committed before it looks for cards, and send_message_batch() locks the row of each card's
-- consent and refuses ('consent_ended') a card whose consent is marked. Lock order in send_message_batch():
-- conversations, then card_consents. The watcher's mark takes the card_consents row last (after consent_expiries)
-- and nothing after it, so it never holds that row while it waits.
--
-- The function below is V8's with three changes: the card_consents lock after the conversations lock, the
-- consent_ended refusal, and V10's plan_cache_mode written into the definition (CREATE OR REPLACE replaces it).
-- A batch without cards pays one array scan for the IF.
CREATE TABLE card_consents (
    consent_id varchar(64) PRIMARY KEY,
    ended      boolean     NOT NULL DEFAULT false
);
INSERT INTO card_consents (consent_id, ended) SELECT consent_id, true FROM consent_expiries WHERE ended;

CREATE OR REPLACE FUNCTION send_message_batch(
    p_conversation uuid[], p_person_sub varchar[], p_business_id varchar[], p_sender varchar[], p_id uuid[],
    p_client_message_id varchar[], p_kind varchar[], p_content text[], p_visibility varchar[], p_update_tag varchar[],
    p_source_consent_id varchar[], p_order_number varchar[], p_bank_only boolean[],
    p_reply_window interval, p_human_agent_window interval)
RETURNS TABLE (item int, outcome varchar, seq bigint, sent_at timestamptz, person_inbox varchar, person_position bigint,
               business_inbox varchar, business_position bigint, id uuid, conversation_id uuid, sender varchar, client_message_id varchar, kind varchar,
               content text, visibility varchar, update_tag varchar, source_consent_id varchar)
LANGUAGE plpgsql SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    round_of int[];  -- by item: the round it is written in
    rounds int;
    sent timestamptz;
    -- each send's answer, in the order the rounds decided them
    a_item int[] := '{}';
    a_outcome varchar[] := '{}';
    a_seq bigint[] := '{}';
    a_sent timestamptz[] := '{}';
    a_first uuid[] := '{}';  -- a retry's first message
    -- the inbox events of the batch, round by round, in item order within a round
    ev_participant varchar[] := '{}';
    ev_message uuid[] := '{}';
    ev_at timestamptz[] := '{}';
    r_item int[];
    r_outcome varchar[];
    r_seq bigint[];
    r_first uuid[];
    r_refused uuid[];  -- inserted, then refused by a rule
    first_id uuid;
    same_body boolean;
    r_participant varchar[];
    r_message uuid[];
    ended_consents varchar[] := '{}';  -- the consents of the batch's cards that have ended (V11)
BEGIN
    PERFORM 1 FROM conversations WHERE id = ANY (p_conversation) ORDER BY id FOR UPDATE;

    -- V11: a card's consent row is locked (created if need be) until this commit. ConsentEventWatcher marks an
    -- ended consent through the same row, in a transaction of its own, before it replaces the consent's cards:
    -- so a card either commits first (and is found and replaced) or sees the end here (and is refused).
    IF EXISTS (SELECT 1 FROM unnest(p_source_consent_id) AS s (id) WHERE s.id IS NOT NULL) THEN
        WITH held AS (
            INSERT INTO card_consents AS k (consent_id)
                SELECT DISTINCT s.id FROM unnest(p_source_consent_id) AS s (id) WHERE s.id IS NOT NULL ORDER BY s.id
                ON CONFLICT (consent_id) DO UPDATE SET ended = k.ended  -- locks the row; ended as last committed
                RETURNING k.consent_id, k.ended)
        SELECT coalesce(array_agg(held.consent_id) FILTER (WHERE held.ended), '{}') INTO ended_consents FROM held;
    END IF;

    -- A receipt order number that more than one send of the batch carries goes to the first of them that
    -- is sent, in item order, even when they are in different conversations and so would be in different
    -- rounds: such a batch (rare) is written one send a round, in item order, as V7 wrote every batch.
    IF EXISTS (SELECT 1 FROM unnest(p_order_number) AS o (n) WHERE o.n IS NOT NULL GROUP BY o.n HAVING count(*) > 1) THEN
        round_of := ARRAY(SELECT generate_series(1, cardinality(p_conversation)));
        rounds := cardinality(p_conversation);
    ELSE
        SELECT array_agg(k ORDER BY i), max(k) INTO round_of, rounds
            FROM (SELECT u.i, row_number() OVER (PARTITION BY u.c ORDER BY u.i) AS k
                    FROM unnest(p_conversation) WITH ORDINALITY AS u (c, i)) x;
    END IF;

    FOR r IN 1 .. coalesce(rounds, 0) LOOP
        sent := clock_timestamp();
        WITH send AS (
                SELECT g.i AS item, p_sender[g.i] AS from_side, p_id[g.i] AS message, p_update_tag[g.i] AS tag,
                       p_order_number[g.i] AS order_no, p_bank_only[g.i] AS bank_only,
                       c.id AS c_id, c.person_sub AS c_person, c.business_id AS c_business, c.last_seq AS c_last_seq,
                       c.blocked AS c_blocked, c.person_last_message_at AS c_person_last, b.kind AS business_kind,
                       o.number_taken, p_source_consent_id[g.i] = ANY (ended_consents) AS consent_ended
                    FROM generate_subscripts(p_conversation, 1) AS g (i)
                    -- LATERAL ... LIMIT 1: one index probe per send, whatever the plan cached in this
                    -- session thought of the tables' sizes
                    LEFT JOIN LATERAL (SELECT * FROM conversations c WHERE c.id = p_conversation[g.i]
                         AND c.person_sub = coalesce(p_person_sub[g.i], c.person_sub)
                         AND c.business_id = coalesce(p_business_id[g.i], c.business_id) LIMIT 1) c ON true
                    LEFT JOIN LATERAL (SELECT * FROM businesses b WHERE b.id = c.business_id LIMIT 1) b ON true
                    LEFT JOIN LATERAL (SELECT true AS number_taken FROM receipt_orders o
                         WHERE o.business_id = c.business_id AND o.order_number = p_order_number[g.i] LIMIT 1) o ON true
                    WHERE round_of[g.i] = r),
             -- As in V5, every send to a conversation of its side is inserted first: a retry is found by
             -- the insert's unique key (the arbiter index, never a plan's choice; a lookup planned
             -- while messages was empty took its other index and read whole conversations) and is
             -- answered with the first message whatever the conversation's state is now. A send the
             -- rules below refuse is deleted again after this statement (rare), before anyone sees it.
             inserted AS (
                INSERT INTO messages (id, conversation_id, seq, sender, client_message_id, kind, content, visibility,
                                      update_tag, sent_at, source_consent_id)
                    SELECT message, c_id, c_last_seq + 1, from_side, p_client_message_id[item], p_kind[item],
                           p_content[item], p_visibility[item], tag, sent, p_source_consent_id[item]
                        FROM send WHERE c_id IS NOT NULL ORDER BY item
                    ON CONFLICT (conversation_id, sender, client_message_id) DO NOTHING
                    RETURNING messages.id, messages.conversation_id),
             refused AS (
                SELECT send.*, CASE
                    WHEN c_id IS NULL THEN 'not_found'
                    -- by id and conversation: a retry may carry the id another send of the round inserted
                    WHEN NOT EXISTS (SELECT 1 FROM inserted
                         WHERE inserted.id = send.message AND inserted.conversation_id = send.c_id) THEN 'retry'
                    WHEN from_side IN ('PERSON', 'BUSINESS') AND c_blocked THEN 'blocked'
                    WHEN bank_only AND business_kind <> 'BANK' THEN 'bank_data_not_for_shops'
                    WHEN from_side = 'BUSINESS' AND order_no IS NOT NULL AND business_kind <> 'SHOP'
                         THEN 'receipts_for_shops'
                    WHEN from_side = 'BUSINESS' AND NOT coalesce(c_person_last + p_reply_window > sent, false)
                         AND tag IS NULL THEN 'outside_reply_window'
                    WHEN from_side = 'BUSINESS' AND NOT coalesce(c_person_last + p_reply_window > sent, false)
                         AND tag = 'UPDATE_TAG_HUMAN_AGENT'
                         AND NOT coalesce(c_person_last + p_human_agent_window > sent, false)
                         THEN 'human_agent_window'
                    WHEN order_no IS NOT NULL AND number_taken THEN 'order_number_taken'
                    WHEN consent_ended THEN 'consent_ended'
                    END AS refusal
                    FROM send),
             decided AS (SELECT refused.*, coalesce(refusal, 'sent')::varchar AS result FROM refused),
             receipts AS (
                -- as in V5: a concurrent batch's send of the same number fails here on the key
                INSERT INTO receipt_orders (business_id, order_number, message_id)
                    SELECT c_business, order_no, message FROM decided WHERE result = 'sent' AND order_no IS NOT NULL),
             moved AS (
                -- by the ids (an index probe each): each conversation has one send in a round, and its
                -- row, locked above, is the one this round read
                UPDATE conversations c SET last_seq = c.last_seq + 1, last_message_at = sent,
                        activity_seq = nextval('conversation_activity_seq'),
                        person_last_message_at = CASE WHEN c.id = ANY (from_person) THEN sent
                                                      ELSE c.person_last_message_at END,
                        person_read_seq = CASE WHEN c.id = ANY (from_person) THEN c.last_seq + 1
                                               ELSE c.person_read_seq END,
                        business_read_seq = CASE WHEN c.id = ANY (from_business) THEN c.last_seq + 1
                                                 ELSE c.business_read_seq END
                    FROM (SELECT array_agg(d.c_id) AS ids,
                                 array_agg(d.c_id) FILTER (WHERE d.from_side = 'PERSON') AS from_person,
                                 array_agg(d.c_id) FILTER (WHERE d.from_side = 'BUSINESS') AS from_business
                            FROM decided d WHERE d.result = 'sent') s
                    WHERE c.id = ANY (s.ids)),
             -- a sent message's events: its person's inbox, and its business's when it is visible to it
             events AS (
                SELECT d.item, e.participant, d.message FROM decided d
                    CROSS JOIN LATERAL (VALUES (('p:' || d.c_person)::varchar, true),
                                               (('b:' || d.c_business)::varchar, p_visibility[d.item] = 'EVERYONE'))
                                       e (participant, wanted)
                    WHERE d.result = 'sent' AND e.wanted)
        -- parallel arrays, each in item order
        SELECT (SELECT array_agg(d.item ORDER BY d.item) FROM decided d),
               (SELECT array_agg(d.result ORDER BY d.item) FROM decided d),
               (SELECT array_agg(CASE WHEN d.result = 'sent' THEN d.c_last_seq + 1 END ORDER BY d.item) FROM decided d),
               (SELECT array_agg(d.message) FROM decided d
                    WHERE d.result NOT IN ('sent', 'not_found', 'retry')),
               (SELECT array_agg(e.participant ORDER BY e.item, e.participant) FROM events e),
               (SELECT array_agg(e.message ORDER BY e.item, e.participant) FROM events e)
            INTO r_item, r_outcome, r_seq, r_refused, r_participant, r_message;

        IF r_refused IS NOT NULL THEN
            DELETE FROM messages WHERE id = ANY (r_refused);  -- inserted above, never seen by anyone
        END IF;
        -- a retry is answered with its first message: found by the key the insert stopped at, in a
        -- statement planned for these values (rare; a cached plan may not know messages' size)
        r_first := array_fill(NULL::uuid, ARRAY[cardinality(r_item)]);
        IF 'retry' = ANY (r_outcome) THEN
            FOR k IN 1 .. cardinality(r_item) LOOP
                CONTINUE WHEN r_outcome[k] <> 'retry';
                EXECUTE 'SELECT m.id, m.content = $4 AND m.update_tag IS NOT DISTINCT FROM $5 FROM messages m'
                        ' WHERE m.conversation_id = $1 AND m.sender = $2 AND m.client_message_id = $3'
                    INTO first_id, same_body
                    USING p_conversation[r_item[k]], p_sender[r_item[k]], p_client_message_id[r_item[k]],
                          p_content[r_item[k]], p_update_tag[r_item[k]];
                r_outcome[k] := CASE WHEN same_body THEN 'duplicate' ELSE 'client_message_id_reused' END;
                r_first[k] := first_id;
            END LOOP;
        END IF;

        a_item := a_item || r_item;
        a_outcome := a_outcome || r_outcome;
        a_seq := a_seq || r_seq;
        a_sent := a_sent || array_fill(sent, ARRAY[cardinality(r_item)]);
        a_first := a_first || r_first;
        IF r_participant IS NOT NULL THEN
            ev_participant := ev_participant || r_participant;
            ev_message := ev_message || r_message;
            ev_at := ev_at || array_fill(sent, ARRAY[cardinality(r_participant)]);
        END IF;
    END LOOP;

    -- As in V5: each inbox's events get the positions after its head, in the order above, and one statement
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
        SELECT s.item::int, s.outcome,
               CASE s.outcome WHEN 'sent' THEN s.seq WHEN 'duplicate' THEN f.seq END,
               CASE s.outcome WHEN 'sent' THEN s.sent_at WHEN 'duplicate' THEN f.sent_at END,
               pp.participant::varchar, pp.position, bp.participant::varchar, bp.position,
               f.id, f.conversation_id, f.sender::varchar, f.client_message_id::varchar, f.kind::varchar, f.content, f.visibility::varchar,
               f.update_tag::varchar, f.source_consent_id::varchar
            FROM unnest(a_item, a_outcome, a_seq, a_sent, a_first) AS s (item, outcome, seq, sent_at, first_id)
            LEFT JOIN appended pp ON s.outcome = 'sent' AND pp.message_id = p_id[s.item] AND left(pp.participant, 2) = 'p:'
            LEFT JOIN appended bp ON s.outcome = 'sent' AND bp.message_id = p_id[s.item] AND left(bp.participant, 2) = 'b:'
            LEFT JOIN LATERAL (SELECT * FROM messages m WHERE m.id = s.first_id AND s.outcome = 'duplicate' LIMIT 1) f ON true
            ORDER BY s.item;

    -- each inbox is announced once, with its new last position (delivered at commit)
    PERFORM pg_notify('chat_inbox', h.last_position || ' ' || h.participant)
        FROM inbox_heads h WHERE h.participant = ANY (ARRAY(SELECT DISTINCT unnest(ev_participant)));  -- by key
END;
$$;
