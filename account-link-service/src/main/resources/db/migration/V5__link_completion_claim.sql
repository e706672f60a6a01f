-- CompleteLink claims a PENDING link (state_used) before it exchanges the bank's code; until the link is ACTIVE the
-- bank token exists only in memory. claimed_at says since when: a link still PENDING long after its claim was
-- abandoned (the process stopped, or failing it failed) and AbandonedCompletions fails it and ends its consent (a
-- claim made before this version, or by a replica still on it, has no claimed_at: the sweep takes its updated_at).
-- completion_code_hash recognises a retry of the same completion (same state, same person, same code) after the
-- client missed the answer: SHA-256 of the state and the code, never the code itself.
-- Only instant changes here, and none waits long for a lock: replicas of the previous version still serve meanwhile.
-- The sweep's index is V7 (built CONCURRENTLY).
SET LOCAL lock_timeout = '5s';
ALTER TABLE links ADD COLUMN claimed_at timestamptz, ADD COLUMN completion_code_hash varchar(64);
