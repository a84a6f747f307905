-- What residents use themselves (R-2.1): the query code that unlocks a
-- matter's progress (only its hash is kept), and the counters that limit
-- how often one address may file or look up, shared by all instances.
CREATE TABLE query_codes (
    matter_id   BLOB PRIMARY KEY REFERENCES matters(id),
    code_hash   TEXT NOT NULL,
    issued_at   BIGINT NOT NULL
);

CREATE TABLE rate_limits (
    bucket        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
