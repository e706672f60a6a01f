-- A stream's read of its inbox (issue 4 §7, measured with the benchmark module and
-- pg_stat_statements). chat-service ran it as a prepared statement, and PostgreSQL keeps a prepared
-- statement's generic plan for the connection's life: a plan made while inbox_events and messages were
-- nearly empty scanned them, so every read cost more as they grew (measured: ~470 pages and 17 ms per
-- read a minute into a run, delivery p50 265 ms at 600 events/s). Here the read always walks the
-- inbox's (participant, position) key and finds each message by its id, however small the tables were
-- when the plan was made: sequential scans are off for it, and the message lookup is a lateral
-- subquery with LIMIT, which PostgreSQL does not flatten into a join it could hash.
CREATE FUNCTION inbox_read(p_participant varchar, p_after bigint, p_limit int)
RETURNS TABLE (event_position bigint, event_kind varchar, occurred_at timestamptz, payload text,
               id uuid, conversation_id uuid, seq bigint, sender varchar, client_message_id varchar, kind varchar,
               content text, visibility varchar, update_tag varchar, sent_at timestamptz, source_consent_id varchar)
LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $$
BEGIN
    RETURN QUERY
        SELECT e.position, e.kind::varchar, e.occurred_at, e.payload, m.id, m.conversation_id, m.seq, m.sender::varchar,
               m.client_message_id::varchar, m.kind::varchar, m.content, m.visibility::varchar, m.update_tag::varchar,
               m.sent_at, m.source_consent_id::varchar
            FROM (SELECT ie.position, ie.kind, ie.occurred_at, ie.payload, ie.message_id FROM inbox_events ie
                  WHERE ie.participant = p_participant AND ie.position > p_after
                  ORDER BY ie.position LIMIT p_limit) e
            LEFT JOIN LATERAL (SELECT * FROM messages mm WHERE mm.id = e.message_id LIMIT 1) m ON true
            ORDER BY e.position;
END;
$$;
