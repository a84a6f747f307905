-- Counting steps by kind (returns per department on the supervision board).
CREATE INDEX matter_events_kind ON matter_events (kind);
