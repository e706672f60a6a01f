-- A renewal offer is made only for the consent a person's link to a bank lasts longest with (RenewalOffers): one who
-- linked the bank again has a newer consent, and the older one's end needs no offer. This finds a person's other
-- consents with that bank. CONCURRENTLY and IF NOT EXISTS as in V13.
CREATE INDEX CONCURRENTLY IF NOT EXISTS consent_expiries_person_bank ON consent_expiries (person_sub, bank_id);
