-- Deadline clocks, the versioned deadline policy, and in-app notifications.

CREATE TABLE policy_versions (
    version     INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE deadlines (
    id              BLOB PRIMARY KEY,
    matter_id       BLOB NOT NULL REFERENCES matters(id),
    kind            TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    due_at          BIGINT NOT NULL,
    warn_at         BIGINT NOT NULL,
    -- running, due_soon, overdue while open; met or late once ended.
    state           TEXT NOT NULL,
    policy_version  INTEGER NOT NULL,
    ended_at        BIGINT
);
CREATE INDEX deadlines_matter ON deadlines (matter_id, kind);
-- The sweeper reads only open clocks that have come due: partial indexes
-- keep its cost proportional to those, not to the size of the ledger.
CREATE INDEX deadlines_warn ON deadlines (warn_at) WHERE state = 'running';
CREATE INDEX deadlines_due ON deadlines (due_at) WHERE state IN ('running', 'due_soon');

CREATE TABLE notifications (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users(id),
    matter_id   BLOB REFERENCES matters(id),
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, created_at);
