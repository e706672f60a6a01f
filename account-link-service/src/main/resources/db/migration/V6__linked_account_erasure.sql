-- What a bank said about a person's accounts (name, type, currency, masked number) is kept only while the link is
-- ACTIVE: the statement that ends a link (unlinked, revoked, expired) erases it in the same transaction
-- (AccessEnding). The row stays as a tombstone (id, link, position, the bank's account id, erased_at): the account id
-- was handed to the person's client, and a read of it still answers PERMISSION_DENIED "the link is revoked/expired"
-- as before, not NOT_FOUND, and is still recorded as a denied read of that bank account in the person's access log
-- (consent-service names the account by the bank's id, as its consent does). Before, these rows were kept for ever.
ALTER TABLE linked_accounts ADD COLUMN erased_at timestamptz;
ALTER TABLE linked_accounts ALTER COLUMN display_name DROP NOT NULL;
ALTER TABLE linked_accounts ALTER COLUMN type DROP NOT NULL;
ALTER TABLE linked_accounts ALTER COLUMN currency DROP NOT NULL;
ALTER TABLE linked_accounts ALTER COLUMN masked_number DROP NOT NULL;
-- links that ended before this version
UPDATE linked_accounts SET display_name = NULL, type = NULL, currency = NULL, masked_number = NULL, erased_at = now()
    WHERE link_id IN (SELECT id FROM links
        WHERE status IN ('LINK_STATUS_REVOKED', 'LINK_STATUS_EXPIRED', 'LINK_STATUS_FAILED'));
-- a row holds all of its bank data or none of it
ALTER TABLE linked_accounts ADD CONSTRAINT linked_accounts_erased_check CHECK (
    (erased_at IS NULL AND display_name IS NOT NULL AND type IS NOT NULL AND currency IS NOT NULL
        AND masked_number IS NOT NULL)
    OR (erased_at IS NOT NULL AND display_name IS NULL AND type IS NULL AND currency IS NULL AND masked_number IS NULL));
