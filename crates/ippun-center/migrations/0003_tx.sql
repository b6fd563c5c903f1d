-- Transaction confirmation (取引確認).

-- Whether the service offers transaction confirmation (told to the app at
-- setup, in the signed service details).
ALTER TABLE services ADD COLUMN tx_confirmation BIGINT NOT NULL DEFAULT 0;

-- Whether the app has completed a start for this token.
ALTER TABLE tokens ADD COLUMN tx_enabled BIGINT NOT NULL DEFAULT 0;

-- Starts of transaction confirmation asked for by the bank: pending until the
-- app completes them (renewal answers S3D3 meanwhile), then done.
CREATE TABLE tx_starts (
    id           TEXT    PRIMARY KEY,
    serial       TEXT    NOT NULL,
    service_id   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    requested_at BIGINT  NOT NULL,
    done_at      BIGINT,
    actor        TEXT    NOT NULL
);
CREATE INDEX tx_starts_serial ON tx_starts (serial, state);

-- Transactions posted by the bank: pending until answered (renewal answers
-- S3D4 meanwhile) or expired; approved or rejected once, never changed after.
CREATE TABLE transactions (
    id          TEXT    PRIMARY KEY,
    service_id  TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    serial      TEXT    NOT NULL,
    payee       TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    amount      TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    reference   TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    -- Posting order (center clock in nanoseconds): several can share a second.
    posted_ns   BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    state       TEXT    NOT NULL,
    response    TEXT,
    answered_at BIGINT,
    actor       TEXT    NOT NULL
);
CREATE INDEX transactions_serial ON transactions (serial, state);
CREATE INDEX transactions_user ON transactions (service_id, user_id);
