-- The assessment indicators and reports (docs/KPI.md) read a period's
-- steps by kind and time, the matters closed in it, the clocks ended in it
-- and the clocks still open; each gets an index so a report reads the
-- period, not the whole history.
CREATE INDEX matter_events_kind_at ON matter_events (kind, at);
-- The new index starts with `kind`, so it serves the old one's queries.
DROP INDEX matter_events_kind;
CREATE INDEX matters_closed ON matters (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX deadlines_ended ON deadlines (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX deadlines_open ON deadlines (due_at) WHERE ended_at IS NULL;
CREATE INDEX extension_requests_created ON extension_requests (created_at);
