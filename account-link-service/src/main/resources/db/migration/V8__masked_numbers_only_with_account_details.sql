-- A masked account number is account detail (consent_service.proto: PERMISSION_ACCOUNTS_DETAIL). From this version it is
-- stored only for a link whose consent has that permission, and an empty string otherwise (not NULL: the row keeps the
-- V6 check "whole or erased", and a replica still on the previous version shows it as the empty masked_number it
-- should). Before, every link stored it: here the numbers kept without that permission are removed. Answers leave
-- masked_number empty for such links whether or not this has run (LinkMapper).
SET LOCAL lock_timeout = '5s';
UPDATE linked_accounts SET masked_number = ''
 WHERE erased_at IS NULL AND masked_number <> ''
   AND link_id IN (SELECT id FROM links
                    WHERE NOT ('PERMISSION_ACCOUNTS_DETAIL' = ANY (string_to_array(permissions, ','))));
