-- PostgreSQL's migration 0035 leaves room on the pages of `matters` for
-- heap-only updates of a matter's chain head. SQLite has no such setting;
-- this file keeps the two backends' migration numbers in step.
SELECT 1;
