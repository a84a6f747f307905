-- Urgent matters run on shorter limits (docs/POLICY.md).
ALTER TABLE matters ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
