-- Foundation: organisation, accounts, sessions, categories, matters and the
-- per-matter event chain. Instants are BIGINT milliseconds since the epoch
-- (UTC) on both backends; see docs/ARCHITECTURE.md.

CREATE TABLE departments (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id  BLOB NOT NULL REFERENCES users(id),
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_departments (
    user_id          BLOB NOT NULL REFERENCES users(id),
    department_code  TEXT NOT NULL REFERENCES departments(code),
    PRIMARY KEY (user_id, department_code)
);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            BLOB PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users(id),
    token_hash    TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);

CREATE TABLE categories (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    matter_type  TEXT NOT NULL,
    parent       TEXT REFERENCES categories(code),
    sort         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE matter_sequences (
    prefix  TEXT NOT NULL,
    year    INTEGER NOT NULL,
    last    BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE matters (
    id                 BLOB PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    channel            TEXT NOT NULL,
    received_at        BIGINT NOT NULL,
    ring_seconds       INTEGER,
    arrived_at         BIGINT,
    intake_user        BLOB NOT NULL REFERENCES users(id),
    department         TEXT REFERENCES departments(code),
    caller_kind        TEXT NOT NULL,
    caller_name        TEXT,
    caller_org         TEXT,
    caller_phone       TEXT NOT NULL,
    caller_phone_hash  TEXT NOT NULL,
    matter_type        TEXT NOT NULL,
    category           TEXT REFERENCES categories(code),
    content            TEXT NOT NULL,
    address            TEXT,
    area_code          TEXT,
    latitude           REAL,
    longitude          REAL,
    sensitive          INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL,
    answer             TEXT,
    agreed_reply_at    BIGINT,
    closed_at          BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    event_count        BIGINT NOT NULL,
    last_hash          TEXT NOT NULL
);
-- The ledger pages newest first; each filter gets an index that keeps the
-- keyset order, so no page needs a sort over the whole table.
CREATE INDEX matters_ledger ON matters (received_at DESC, id DESC);
CREATE INDEX matters_type_ledger ON matters (matter_type, received_at DESC, id DESC);
CREATE INDEX matters_status_ledger ON matters (status, received_at DESC, id DESC);
CREATE INDEX matters_channel_ledger ON matters (channel, received_at DESC, id DESC);
CREATE INDEX matters_department_ledger ON matters (department, received_at DESC, id DESC);
CREATE INDEX matters_category_ledger ON matters (category, received_at DESC, id DESC);
CREATE INDEX matters_caller ON matters (caller_phone_hash, received_at DESC);

CREATE TABLE matter_events (
    matter_id  BLOB NOT NULL REFERENCES matters(id),
    seq        BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    actor      BLOB REFERENCES users(id),
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (matter_id, seq)
);
