-- ippun center schema, version 1. Times are Unix seconds (UTC).

-- The center's long-term Ed25519 key (encrypted with the master key).
CREATE TABLE center_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    signing_key BLOB    NOT NULL,
    public_key  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE services (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    logo_url      TEXT,
    link_url      TEXT,
    algorithm     TEXT    NOT NULL,
    digits        INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    validity_days INTEGER NOT NULL,
    open          INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE users (
    service_id            TEXT    NOT NULL REFERENCES services (id),
    user_id               TEXT    NOT NULL,
    suspended             INTEGER NOT NULL DEFAULT 0,
    -- Argon2id hash of the outstanding activation password (NULL: none).
    activation_hash       TEXT,
    activation_expires_at INTEGER,
    failures              INTEGER NOT NULL DEFAULT 0,
    -- Token validity for this user (NULL: the service's).
    validity_days         INTEGER,
    -- Demo center only: an admin act applied right after setup completes.
    demo_after_setup      TEXT,
    created_at            INTEGER NOT NULL,
    PRIMARY KEY (service_id, user_id)
);

CREATE TABLE tokens (
    serial       TEXT    PRIMARY KEY,
    service_id   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    -- pending (offered, not confirmed), active, revoked (re-issued).
    state        TEXT    NOT NULL,
    key_enc      BLOB    NOT NULL,
    algorithm    TEXT    NOT NULL,
    digits       INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    device_key   BLOB    NOT NULL,
    expires_at   INTEGER NOT NULL,
    drift_steps  INTEGER NOT NULL DEFAULT 0,
    last_step    INTEGER,
    created_at   INTEGER NOT NULL,
    activated_at INTEGER,
    FOREIGN KEY (service_id, user_id) REFERENCES users (service_id, user_id)
);
CREATE INDEX tokens_user ON tokens (service_id, user_id);

-- Open key exchanges (provisioning and renewal) waiting for confirmation.
CREATE TABLE sessions (
    id             BLOB    PRIMARY KEY,
    kind           TEXT    NOT NULL,
    serial         TEXT    NOT NULL,
    app_nonce      BLOB    NOT NULL UNIQUE,
    app_confirm    BLOB    NOT NULL,
    center_confirm BLOB    NOT NULL,
    -- Renewal only: the new key and expiry, applied on confirmation.
    new_key_enc    BLOB,
    new_expires_at INTEGER,
    new_algorithm  TEXT,
    new_digits     INTEGER,
    new_period     INTEGER,
    done           INTEGER NOT NULL DEFAULT 0,
    expires_at     INTEGER NOT NULL
);

-- Center nonces for signed requests; each is used once.
CREATE TABLE nonces (
    nonce      BLOB    PRIMARY KEY,
    serial     TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL
);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    service_id TEXT,
    user_id    TEXT,
    serial     TEXT,
    outcome    TEXT    NOT NULL,
    detail     TEXT
);
