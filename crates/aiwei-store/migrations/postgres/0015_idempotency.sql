-- Idempotent intake and steps: a client that retries with the same
-- Idempotency-Key gets the original answer instead of a second matter or a
-- second step. The key commits with the write it belongs to; the answer is
-- the matter it made or moved, as it stands (no copy of the response, which
-- would hold caller data in clear).
CREATE TABLE idempotency_keys (
    user_id         UUID NOT NULL REFERENCES users(id),
    key             TEXT NOT NULL,
    scope           TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,
    matter_id       UUID NOT NULL REFERENCES matters(id),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
