-- The few sensitive matters, found without reading every matter: the
-- check at each start for step texts still unsealed (callers.rs) reads
-- from here, so its cost follows the sensitive matters, not the ledger.
CREATE INDEX matters_sensitive ON matters (id) WHERE sensitive = TRUE;
