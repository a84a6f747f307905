-- Evidence attachments (photos before and after, documents). The files live
-- in the data directory, named by their id; rows hold what checks them.

CREATE TABLE attachments (
    id            BLOB PRIMARY KEY,
    matter_id     BLOB NOT NULL REFERENCES matters(id),
    uploaded_by   BLOB NOT NULL REFERENCES users(id),
    stage         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX attachments_matter ON attachments (matter_id, created_at);
