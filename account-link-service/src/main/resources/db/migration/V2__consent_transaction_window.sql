-- The transaction window of the link's consent (copied when the consent is created; a consent's
-- window never changes afterwards). NULL = unbounded on that side; reads are also capped by
-- accounts.transactions-max-history.
ALTER TABLE links ADD COLUMN transaction_from timestamptz;
ALTER TABLE links ADD COLUMN transaction_to timestamptz;
