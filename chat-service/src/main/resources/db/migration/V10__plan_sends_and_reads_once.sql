-- send_message_batch() and inbox_read() plan their statements once per connection (issue 4 §7, measured with
-- pgbench and pg_stat_statements, benchmark/README.md). PostgreSQL chose a custom plan for every call of
-- statements whose cost depends on the arrays' or the limit's values: inbox_read()'s query was planned on every
-- call (0.05 ms of a 0.35 ms read), and so were send_message_batch()'s lock and final append when a batch held one
-- send, as every batch does on a quiet service (0.2 ms of a 1.0 ms send). Both functions were written so that any
-- plan of theirs keeps to the keys (sequential scans off, lookups by key with LIMIT: V6, V8), so the plan made on a
-- connection's first call serves them all. Measured with one client: a read 0.35 → 0.21 ms, a one-send batch
-- 1.0 → 0.83 ms; batches of 16 were already planned once and are unchanged.
ALTER FUNCTION send_message_batch(uuid[], varchar[], varchar[], varchar[], uuid[], varchar[], varchar[], text[], varchar[],
                                  varchar[], varchar[], varchar[], boolean[], interval, interval)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION inbox_read(varchar, bigint, int) SET plan_cache_mode = force_generic_plan;
