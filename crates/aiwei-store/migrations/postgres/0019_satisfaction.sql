-- The satisfaction of a matter's latest revisit, for the ledger's filter;
-- filled from the events for matters revisited before.
ALTER TABLE matters ADD COLUMN satisfaction TEXT;
UPDATE matters SET satisfaction = (
    SELECT e.payload::jsonb ->> 'satisfaction' FROM matter_events e
    WHERE e.matter_id = matters.id AND e.kind IN ('revisited', 'redo_ordered')
    ORDER BY e.seq DESC LIMIT 1);
CREATE INDEX matters_satisfaction_ledger ON matters (satisfaction, received_at DESC, id DESC);
