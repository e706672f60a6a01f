-- Businesses come from chat-service's configuration (chat.businesses.*), written here at each start
-- (business/service/BusinessDirectory). One that is no longer configured keeps its row, so that its
-- conversations keep their history, but is no longer listed and takes no new conversations. V1's two
-- sandbox rows are therefore retired in a deployment that does not configure them.
ALTER TABLE businesses ADD COLUMN listed boolean NOT NULL DEFAULT true;
-- A partner bank is one listed business (the assistant and the consent views find the bank's business by it).
CREATE UNIQUE INDEX businesses_listed_partner_bank ON businesses (partner_bank_id) WHERE listed AND partner_bank_id IS NOT NULL;
