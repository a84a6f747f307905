-- API tokens expire, are revoked one by one, and say when they were last
-- used. Tokens from before get a year from their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
UPDATE api_tokens SET expires_at = created_at + 31536000000 WHERE expires_at IS NULL;
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- Failed logins, counted per account and address and per address, in the
-- database so that every app instance sees the same count and a restart
-- forgets nothing. `key` is a digest: the name tried may be a password or
-- a phone number typed into the wrong field.
CREATE TABLE login_throttle (
    key       TEXT PRIMARY KEY,
    failures  INTEGER NOT NULL,
    last_at   BIGINT NOT NULL
);
CREATE INDEX login_throttle_age ON login_throttle (last_at);
