-- CompleteLink claims a PENDING link (state_used) before it exchanges the bank's code; until the link is ACTIVE the
-- bank token exists only in memory. claimed_at says since when: a link still PENDING long after its claim was
-- abandoned (the process stopped, or failing it failed) and AbandonedCompletions fails it and ends its consent.
-- completion_code_hash recognises a retry of the same completion (same state, same person, same code) after the
-- client missed the answer: SHA-256 of the state and the code, never the code itself.
ALTER TABLE links ADD COLUMN claimed_at timestamptz;
ALTER TABLE links ADD COLUMN completion_code_hash varchar(64);
-- links claimed before this version and still PENDING were abandoned the same way: the sweep takes them too
UPDATE links SET claimed_at = updated_at WHERE state_used AND status = 'LINK_STATUS_PENDING';
CREATE INDEX links_claimed_pending_idx ON links (claimed_at) WHERE status = 'LINK_STATUS_PENDING' AND claimed_at IS NOT NULL;
