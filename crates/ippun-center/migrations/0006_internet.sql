-- Facing the internet.

-- Wrong activation passwords per service ID and user ID, whether or not the
-- user exists (so that a lock says nothing about who exists). An attempt is
-- counted before its password is checked; a right password deletes the
-- row. `failures` attempts within the window lock until `locked_until`; a
-- lock ends by itself (a stranger can delay a customer, not shut them out).
CREATE TABLE activation_attempts (
    service_id   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    failures     BIGINT  NOT NULL,
    locked_until BIGINT,
    last_at      BIGINT  NOT NULL,
    PRIMARY KEY (service_id, user_id)
);
CREATE INDEX activation_attempts_last ON activation_attempts (last_at);
INSERT INTO activation_attempts (service_id, user_id, failures, locked_until, last_at)
    SELECT service_id, user_id, failures, NULL, created_at FROM users WHERE failures > 0;
ALTER TABLE users DROP COLUMN failures;

-- An activation password is kept (hashed) after its first use, marked used:
-- the right password then answers S0B4 (already set up) and a wrong one
-- S0C1, so that nothing is said of the user before the right password.
ALTER TABLE users ADD COLUMN activation_used BIGINT NOT NULL DEFAULT 0;

-- Verify lock-outs end by themselves: `verify_locked_at` plus the center's
-- lock time (an admin unlock ends one at once).

-- Center nonces are issued without a row (they carry their own MAC); a row
-- is written when a signed request uses one, so that it is used once.
DELETE FROM nonces;
CREATE INDEX nonces_expiry ON nonces (expires_at);

-- Audit retention: old rows are deleted by age.
CREATE INDEX audit_at ON audit (at);
