-- Full-text search (DESIGN.md, Search): one document per ordinary matter,
-- its texts as tokens made in Rust (aiwei_core::search), one letter or
-- digit each, with positions, written as a tsvector literal (no parser, no
-- text-search configuration involved). Sensitive matters have no document.
CREATE TABLE matter_search (
    matter_id  UUID PRIMARY KEY REFERENCES matters(id),
    doc        TSVECTOR NOT NULL
);
CREATE INDEX matter_search_doc ON matter_search USING GIN (doc);
-- How far `aiwei search reindex` has come, so that it resumes.
CREATE TABLE search_progress (
    name     TEXT PRIMARY KEY,
    last_id  UUID
);
-- Matters recorded before this migration have no document yet: the server
-- builds them in the background at its next start (a pending row, from the
-- first matter), and the row goes when the index is complete.
INSERT INTO search_progress (name, last_id) VALUES ('matters', NULL);
