-- A person has at most one ACTIVE link per bank: completing a new link to a bank ends the person's earlier one
-- (LinkReplacement), and this unique index holds every replica to it, so two completions racing on two replicas cannot
-- both stay ACTIVE. Before, a second link to the same bank stayed ACTIVE beside the first and every account was listed
-- twice.
-- The duplicates made before are ended first, as the application now ends a replaced link: of a person's ACTIVE links
-- to one bank an unexpired one stays, the one activated last; the others become REVOKED with what AccessEnding writes
-- in the same transaction (token marked for revocation, the accounts' bank data erased) and their consent's end due,
-- so that the revocation sweep tells the bank and FailedLinkConsents revokes the consent for the person (ACTOR_USER),
-- as after an Unlink whose own calls did not get through; one already past its expiry becomes EXPIRED, its consent
-- left to expire in consent-service.
-- One transaction, with writes to links held off (reads go on) from the clean-up to the end of the index build: an
-- index built CONCURRENTLY after a separate clean-up (as V7's) could meet a duplicate that a replica of the previous
-- version wrote in between, and fail, leaving an invalid index that needs hands. The lock is waited for 5 s at most
-- (else the migration fails whole and the next start tries again); held while the index is built, one scan of links.
SET LOCAL lock_timeout = '5s';
LOCK TABLE links IN SHARE ROW EXCLUSIVE MODE;

WITH ranked AS (
    -- the link that stays: an unexpired one before any expired (whose EXPIRED event has not come yet), then the one
    -- activated last
    SELECT id, expires_at <= now() AS expired,
           row_number() OVER (PARTITION BY user_id, bank_id
                              ORDER BY expires_at > now() DESC, updated_at DESC, list_seq DESC) AS newest
      FROM links WHERE status = 'LINK_STATUS_ACTIVE'
), replaced AS (
    -- as LinkReplacement ends them: an expired one EXPIRED, its consent left to expire in consent-service
    UPDATE links l
       SET status = CASE WHEN r.expired THEN 'LINK_STATUS_EXPIRED' ELSE 'LINK_STATUS_REVOKED' END,
           status_reason = CASE WHEN r.expired THEN 'the consent expired' ELSE 'replaced by your newer link to this bank' END,
           updated_at = now(), code_verifier = NULL,
           consent_end_due_at = CASE WHEN r.expired THEN NULL ELSE now() END, consent_end_by_bank = false
      FROM ranked r
     WHERE l.id = r.id AND r.newest > 1
    RETURNING l.id, l.status_reason
), tokens AS (
    UPDATE bank_tokens t
       SET revoke_pending = true, revoke_reason = replaced.status_reason, next_attempt_at = now()
      FROM replaced
     WHERE t.link_id = replaced.id AND NOT t.revoke_pending
)
UPDATE linked_accounts
   SET display_name = NULL, type = NULL, currency = NULL, masked_number = NULL, erased_at = now()
 WHERE link_id IN (SELECT id FROM replaced) AND erased_at IS NULL;

CREATE UNIQUE INDEX links_one_active_per_bank_idx ON links (user_id, bank_id) WHERE status = 'LINK_STATUS_ACTIVE';
