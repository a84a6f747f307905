-- Notifications that leave the building (R-3.3): where they may go, which
-- events go where, the texts, and the outbox the delivery worker drains.

-- Group robots and webhooks an administrator set up. The address (robot
-- keys travel in it) and the signing secret are sealed like caller data;
-- `shown` is the address with its query masked, for the pages.
CREATE TABLE outbound_destinations (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL,
    shown       TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    active      BOOLEAN NOT NULL,
    created_by  BLOB NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);

-- Which notifications of a staff member or a department go out, and to
-- which mailbox or destination. `kinds` lists notification kinds between
-- commas (",dispatched,deadline_overdue,"): the table is small.
CREATE TABLE notification_rules (
    id               BLOB PRIMARY KEY,
    user_id          BLOB REFERENCES users(id),
    department_code  TEXT REFERENCES departments(code),
    kinds            TEXT NOT NULL,
    email            TEXT,
    destination_id   BLOB REFERENCES outbound_destinations(id),
    created_by       BLOB NOT NULL REFERENCES users(id),
    created_at       BIGINT NOT NULL
);
CREATE INDEX notification_rules_user ON notification_rules (user_id);
CREATE INDEX notification_rules_department ON notification_rules (department_code);

-- An administrator's own text for a notification kind; the built-in text
-- otherwise.
CREATE TABLE message_templates (
    kind        TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  BLOB NOT NULL REFERENCES users(id),
    updated_at  BIGINT NOT NULL
);

-- One message to one mailbox or destination, written in the transaction of
-- its cause. `dedupe_key` (cause and rule) makes a second write of the same
-- message a no-op; the lease makes one worker of all instances send it.
CREATE TABLE outbox (
    id               BLOB PRIMARY KEY,
    dedupe_key       TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    matter_id        BLOB REFERENCES matters(id),
    deadline         TEXT,
    due_at           BIGINT,
    rule_id          BLOB NOT NULL REFERENCES notification_rules(id),
    channel          TEXT NOT NULL,
    user_id          BLOB REFERENCES users(id),
    department_code  TEXT,
    email            TEXT,
    destination_id   BLOB REFERENCES outbound_destinations(id),
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_until      BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
-- The worker reads only what is waiting; the admin list pages by time.
CREATE INDEX outbox_waiting ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox (state, created_at);
CREATE INDEX outbox_created ON outbox (created_at);
