-- Sends are committed in batches (issue 4 §7, measured with the benchmark module). One send per
-- transaction held its business's inbox head lock, and PostgreSQL's cluster-wide NOTIFY lock, across
-- its own commit: with durable commits every send to one business waited for the flush of the one
-- before it (490 sends/s, whatever the number of connections or replicas). chat-service now hands
-- the sends that arrive while earlier ones are being written to send_messages() together: one
-- statement, one transaction, one commit flush for all of them.
--
-- Each send is still send_message() (V4), with the same checks and outcomes, applied in array order;
-- a later send sees the earlier ones of its batch (a retry of a message in the same batch is a
-- duplicate, an order number used earlier in the batch is taken).
--
-- Batches of different chat-service instances (and an instance's batches in flight) run at the same
-- time, so a batch takes all its locks up front, in one order that every writer follows:
-- conversations by id, then people's inbox heads by participant, then businesses' heads by
-- participant. Single-conversation writers (read receipts, sharing, redaction) lock their
-- conversation and then, at commit (V3), the person's head before the business's: the same order.
-- Heads that do not exist yet are created first (position 0: an empty inbox), so that they can be
-- locked like the others.
CREATE FUNCTION send_messages(
    p_conversation uuid[], p_person_sub varchar[], p_business_id varchar[], p_sender varchar[], p_id uuid[],
    p_client_message_id varchar[], p_kind varchar[], p_content text[], p_visibility varchar[], p_update_tag varchar[],
    p_source_consent_id varchar[], p_order_number varchar[], p_bank_only boolean[],
    p_reply_window interval, p_human_agent_window interval)
RETURNS TABLE (item int, outcome varchar, id uuid, conversation_id uuid, seq bigint, sender varchar,
               client_message_id varchar, kind varchar, content text, visibility varchar, update_tag varchar,
               sent_at timestamptz, source_consent_id varchar)  -- item: the send's index in the arrays, from 1
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    heads varchar[];
BEGIN
    PERFORM 1 FROM conversations WHERE id = ANY (p_conversation) ORDER BY id FOR UPDATE;
    SELECT array_agg(participant ORDER BY participant LIKE 'b:%', participant) INTO heads
        FROM (SELECT 'p:' || person_sub AS participant FROM conversations WHERE id = ANY (p_conversation)
              UNION SELECT 'b:' || business_id FROM conversations WHERE id = ANY (p_conversation)) p;
    IF heads IS NOT NULL THEN
        INSERT INTO inbox_heads (participant, last_position)
            SELECT h, 0 FROM unnest(heads) WITH ORDINALITY AS u (h, n) ORDER BY n
            ON CONFLICT (participant) DO NOTHING;
        PERFORM 1 FROM inbox_heads WHERE participant = ANY (heads)
            ORDER BY participant LIKE 'b:%', participant FOR UPDATE;
    END IF;
    FOR i IN 1 .. coalesce(cardinality(p_conversation), 0) LOOP
        RETURN QUERY SELECT i, s.* FROM send_message(p_conversation[i], p_person_sub[i], p_business_id[i], p_sender[i],
            p_id[i], p_client_message_id[i], p_kind[i], p_content[i], p_visibility[i], p_update_tag[i],
            p_source_consent_id[i], p_order_number[i], p_bank_only[i], p_reply_window, p_human_agent_window) s;
    END LOOP;
END;
$$;
