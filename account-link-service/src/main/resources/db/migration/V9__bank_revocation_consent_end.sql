-- A bank's NotifyAccessRevoked ends the link here first, whatever consent-service says, as the person's Unlink does:
-- the bank has already ended access, so no read may go through the link while consent-service is down. The
-- consent's revocation, as the bank's doing (ACTOR_BANK), is then due like an unlinked link's (V3's mark); this
-- column says whose doing it is for the retry. Before, the notification failed while consent-service was down and
-- the link stayed ACTIVE until the bank tried again.
SET LOCAL lock_timeout = '5s';  -- a queued ACCESS EXCLUSIVE lock would stall every replica's queries on links
ALTER TABLE links ADD COLUMN consent_end_by_bank boolean NOT NULL DEFAULT false;
