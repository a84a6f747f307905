-- The telephone exchange (R-2.1, R-2.2): which clerk sits at which
-- extension, and every call the exchange reported, so ring-to-answer
-- seconds are measured and missed calls are called back (漏接回拨).
CREATE TABLE phone_extensions (
    extension    TEXT PRIMARY KEY,
    user_id      UUID NOT NULL UNIQUE REFERENCES users(id),
    assigned_at  BIGINT NOT NULL
);

-- The caller's number is personal data: sealed, with the keyed index the
-- caller history looks numbers up by.
CREATE TABLE calls (
    id             UUID PRIMARY KEY,
    call_id        TEXT NOT NULL UNIQUE,
    key_id         TEXT NOT NULL,
    caller_sealed  BYTEA NOT NULL,
    caller_index   TEXT NOT NULL,
    extension      TEXT,
    user_id        UUID REFERENCES users(id),
    state          TEXT NOT NULL,
    ringing_at     BIGINT NOT NULL,
    answered_at    BIGINT,
    ended_at       BIGINT,
    matter_id      UUID REFERENCES matters(id),
    callback       TEXT,
    callback_by    UUID REFERENCES users(id),
    callback_at    BIGINT,
    callback_note  TEXT,
    updated_at     BIGINT NOT NULL
);
-- A clerk's page asks for their newest calls; the call-back list for the
-- missed ones still waiting.
CREATE INDEX calls_user ON calls (user_id, ringing_at);
CREATE INDEX calls_callback ON calls (callback, ringing_at);
