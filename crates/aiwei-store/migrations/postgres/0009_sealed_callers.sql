-- Callers' personal data sealed at rest (R-5.1.1): name, organisation and
-- phone number travel together as one AES-256-GCM ciphertext under a key of
-- the installation's key ring (see keys.rs). The plaintext columns of 0001
-- stay for old rows until the store re-seals them on start; they are then
-- emptied and never written again.

ALTER TABLE matters ADD COLUMN caller_key TEXT;
ALTER TABLE matters ADD COLUMN caller_sealed BYTEA;
-- Set when a caller's personal data was erased on request; the matter and
-- its statistics remain.
ALTER TABLE matters ADD COLUMN caller_anonymised_at BIGINT;
-- Finds rows still sealed under an old key (rotation) or not yet sealed.
CREATE INDEX matters_caller_key ON matters (caller_key);
