-- A person has at most one ACTIVE link per bank: completing a new link to a bank ends the person's earlier one
-- (LinkReplacement), and this unique index holds every replica to it, so two completions racing on two replicas cannot
-- both stay ACTIVE. Before, a second link to the same bank stayed ACTIVE beside the first and every account was listed
-- twice.
-- The duplicates made before are ended first, as the application now ends a replaced link: of a person's ACTIVE links
-- to one bank the one activated last stays; the others become REVOKED with what AccessEnding writes in the same
-- transaction (token marked for revocation, the accounts' bank data erased) and their consent's end due, so that the
-- revocation sweep tells the bank and FailedLinkConsents revokes the consent for the person (ACTOR_USER), as after an
-- Unlink whose own calls did not get through.
-- One transaction, with writes to links held off (reads go on) from the clean-up to the end of the index build: an
-- index built CONCURRENTLY after a separate clean-up (as V7's) could meet a duplicate that a replica of the previous
-- version wrote in between, and fail, leaving an invalid index that needs hands. The lock is waited for 5 s at most
-- (else the migration fails whole and the next start tries again); held while the index is built, one scan of links.
SET LOCAL lock_timeout = '5s';
LOCK TABLE links IN SHARE ROW EXCLUSIVE MODE;

WITH replaced AS (
    UPDATE links
       SET status = 'LINK_STATUS_REVOKED', status_reason = 'replaced by your newer link to this bank',
           updated_at = now(), code_verifier = NULL, consent_end_due_at = now(), consent_end_by_bank = false
     WHERE status = 'LINK_STATUS_ACTIVE'
       AND id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY user_id, bank_id
                                                            ORDER BY updated_at DESC, list_seq DESC) AS newest
                                    FROM links WHERE status = 'LINK_STATUS_ACTIVE') ranked
                   WHERE newest > 1)
    RETURNING id
), tokens AS (
    UPDATE bank_tokens
       SET revoke_pending = true, revoke_reason = 'replaced by your newer link to this bank', next_attempt_at = now()
     WHERE link_id IN (SELECT id FROM replaced) AND NOT revoke_pending
)
UPDATE linked_accounts
   SET display_name = NULL, type = NULL, currency = NULL, masked_number = NULL, erased_at = now()
 WHERE link_id IN (SELECT id FROM replaced) AND erased_at IS NULL;

CREATE UNIQUE INDEX links_one_active_per_bank_idx ON links (user_id, bank_id) WHERE status = 'LINK_STATUS_ACTIVE';
