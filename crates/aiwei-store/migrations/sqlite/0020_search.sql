-- Full-text search (DESIGN.md, Search): one document per ordinary matter,
-- its texts as tokens made in Rust (aiwei_core::search), one letter or
-- digit each. FTS5 keys documents by integer rowid; `search_docs` gives
-- each matter one. Sensitive matters have no document.
CREATE TABLE search_docs (
    rowid      INTEGER PRIMARY KEY AUTOINCREMENT,
    matter_id  BLOB NOT NULL UNIQUE REFERENCES matters(id)
);
CREATE VIRTUAL TABLE matter_search USING fts5(doc, tokenize = 'unicode61');
-- How far `aiwei search reindex` has come, so that it resumes.
CREATE TABLE search_progress (
    name     TEXT PRIMARY KEY,
    last_id  BLOB
);
-- Matters recorded before this migration have no document yet: the server
-- builds them in the background at its next start (a pending row, from the
-- first matter), and the row goes when the index is complete.
INSERT INTO search_progress (name, last_id) VALUES ('matters', NULL);
