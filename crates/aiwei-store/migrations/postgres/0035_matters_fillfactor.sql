-- Room on each page of `matters` for a new version of its rows. Every step
-- and every mark of the sweeper moves a matter's chain head (`event_count`,
-- `last_hash`, `updated_at`), none of which is indexed; with room on the
-- page PostgreSQL makes that a heap-only update and writes nothing to the
-- table's thirteen indexes. Rows written from now on get the room; a full
-- table gets it at its next rewrite (`VACUUM FULL matters`). Measured with
-- the sweeper's batches (docs/BENCHMARKS.md): moving 500 heads went from
-- 12-18 ms to about 4 ms. SQLite has no such setting.
ALTER TABLE matters SET (fillfactor = 80);
