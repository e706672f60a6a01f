-- What a bank said about a person's accounts (name, type, currency, masked number) is kept only while the link is
-- ACTIVE: the statement that ends a link (unlinked, revoked, expired) erases it in the same transaction
-- (AccessEnding). The row stays as a tombstone (id, link, position, the bank's account id, erased_at): the account id
-- was handed to the person's client, and a read of it still answers PERMISSION_DENIED "the link is revoked/expired"
-- as before, not NOT_FOUND, and is still recorded as a denied read of that bank account in the person's access log
-- (consent-service names the account by the bank's id, as its consent does). Before, these rows were kept for ever.
-- Rows of links that ended before this version, or on a replica still on the previous one, are erased by
-- EndedLinkErasure, in batches: nothing here scans the table while holding its lock.
SET LOCAL lock_timeout = '5s';
ALTER TABLE linked_accounts ADD COLUMN erased_at timestamptz,
                            ALTER COLUMN display_name DROP NOT NULL,
                            ALTER COLUMN type DROP NOT NULL,
                            ALTER COLUMN currency DROP NOT NULL,
                            ALTER COLUMN masked_number DROP NOT NULL;
-- a row holds all of its bank data or none of it; NOT VALID: checked for every row written from now on, without a
-- scan of the rows already there (they are all whole)
ALTER TABLE linked_accounts ADD CONSTRAINT linked_accounts_erased_check CHECK (
    (erased_at IS NULL AND display_name IS NOT NULL AND type IS NOT NULL AND currency IS NOT NULL
        AND masked_number IS NOT NULL)
    OR (erased_at IS NOT NULL AND display_name IS NULL AND type IS NULL AND currency IS NULL AND masked_number IS NULL))
    NOT VALID;
