-- The audit trail (审计日志): one append-only, hash-chained table of
-- security-relevant events (logins, accounts, departments, policy, calendar,
-- API tokens); see aiwei_store::trail and docs/ARCHITECTURE.md. The program
-- only ever inserts here: no row is updated or deleted (retention of at least
-- six months, Cybersecurity Law art. 21). `detail` is JSON and never holds a
-- caller's personal data.

CREATE TABLE audit_trail (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       UUID REFERENCES users(id),
    actor_name  TEXT,
    ip          TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
-- Newest first is the primary key read backwards; each filter has an index
-- that keeps that order. The actor filter names a user name (also the name
-- tried in a failed login), so it reads actor_name.
CREATE INDEX audit_trail_action ON audit_trail (action, seq DESC);
CREATE INDEX audit_trail_actor ON audit_trail (actor_name, seq DESC);
CREATE INDEX audit_trail_at ON audit_trail (at);

-- The head of the chain: one row, locked by every append so that sequence
-- numbers stay gap-free and the chain linear across app instances.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        BIGINT NOT NULL,
    last_hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
