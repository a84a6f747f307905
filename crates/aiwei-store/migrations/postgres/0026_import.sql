-- Rows of an office's old ledger brought in (R-4.1.2): each by the key that
-- finds it again (its old number, or its time, phone and content), so a
-- re-run of the same file writes nothing new.
CREATE TABLE imported_rows (
    source_key     TEXT PRIMARY KEY,
    matter_id      UUID NOT NULL REFERENCES matters(id),
    legacy_number  TEXT,
    imported_at    BIGINT NOT NULL
);
