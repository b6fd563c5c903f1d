-- Verify API for relying parties (the bank's web site).

-- API keys, one or more per service. The key is `ipk_<key_id>_<secret>`;
-- only the SHA-256 of the secret is stored (the secret is 256 random bits,
-- so a fast hash is enough).
CREATE TABLE api_keys (
    key_id      TEXT    PRIMARY KEY,
    service_id  TEXT    NOT NULL REFERENCES services (id),
    secret_hash BYTEA   NOT NULL,
    label       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);

-- Consecutive wrong codes at the verify API, and when that locked the user
-- (NULL: not locked). Only an admin unlock clears the lock.
ALTER TABLE users ADD COLUMN verify_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN verify_locked_at BIGINT;

-- Slow drift learning: the offset (-1, 0, +1) of the last accepted code
-- from the drift-adjusted step; drift moves one step only when two accepted
-- codes in a row lean the same way.
ALTER TABLE tokens ADD COLUMN drift_lean BIGINT NOT NULL DEFAULT 0;
