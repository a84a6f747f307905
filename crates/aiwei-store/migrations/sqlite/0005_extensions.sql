-- Extension requests (延期): asked before the deadline, effective only once
-- a supervisor approves. When an approved extension moves the reply time
-- agreed with the caller, the matter records that the caller must be told.

CREATE TABLE extension_requests (
    id              BLOB PRIMARY KEY,
    matter_id       BLOB NOT NULL REFERENCES matters(id),
    kind            TEXT NOT NULL,
    requested_by    BLOB NOT NULL REFERENCES users(id),
    reason          TEXT NOT NULL,
    old_due_at      BIGINT NOT NULL,
    new_due_at      BIGINT NOT NULL,
    state           TEXT NOT NULL,
    decided_by      BLOB REFERENCES users(id),
    decided_at      BIGINT,
    decision_note   TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX extension_requests_matter ON extension_requests (matter_id, created_at);
CREATE INDEX extension_requests_pending ON extension_requests (created_at) WHERE state = 'pending';

ALTER TABLE matters ADD COLUMN caller_to_be_told INTEGER NOT NULL DEFAULT 0;
