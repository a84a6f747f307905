-- Keys an administrator issues to other systems that file Open311
-- requests; only the SHA-256 of a key is kept.
CREATE TABLE open311_keys (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_by  BLOB REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
