-- PKCE between this service and the bank (BankConnector.BeginAuthorisation code_challenge, ExchangeCode
-- code_verifier): the code a bank issues can only be exchanged by the link that began the authorisation. Every
-- link shares one redirect URI, so without it a code read from one person's redirect could complete another
-- person's link. Set while the link is PENDING, cleared when it becomes ACTIVE or FAILED.
ALTER TABLE links ADD COLUMN code_verifier text;
