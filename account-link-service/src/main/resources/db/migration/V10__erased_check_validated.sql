-- V6 added linked_accounts_erased_check NOT VALID, so that its ALTER TABLE did not scan the table under its lock.
-- Validating it takes only a SHARE UPDATE EXCLUSIVE lock (reads and writes go on) while it scans: from here the
-- check holds for every row, not only those written since V6, and the planner may rely on it.
ALTER TABLE linked_accounts VALIDATE CONSTRAINT linked_accounts_erased_check;
