-- Urgent matters run on shorter limits (docs/POLICY.md).
ALTER TABLE matters ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT FALSE;
