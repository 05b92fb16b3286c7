-- The paylinks schema. Conventions:
--   ids        BLOB, the 16 bytes of a UUIDv7 (byte order is time order)
--   times      INTEGER, unix microseconds, UTC
--   booleans   INTEGER 0 or 1
--   money      INTEGER minor units plus a TEXT ISO 4217 code
--   JSON       TEXT
-- Tables are STRICT, so a value of the wrong type (say an id bound as text)
-- is refused instead of silently stored.

-- +goose Up

CREATE TABLE accounts (
    id         BLOB    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id         BLOB    NOT NULL PRIMARY KEY,
    account_id BLOB    NOT NULL REFERENCES accounts (id),
    livemode   INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    kind       TEXT    NOT NULL CHECK (kind IN ('secret', 'public', 'restricted')),
    scopes     TEXT    NOT NULL DEFAULT '',  -- space-separated
    prefix     TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,      -- SHA-256 of the whole key
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_prefix ON api_keys (prefix) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_created ON api_keys (created_at, id);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE links (
    id          BLOB    NOT NULL PRIMARY KEY,
    account_id  BLOB    NOT NULL REFERENCES accounts (id),
    livemode    INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    slug        TEXT    NOT NULL UNIQUE,     -- unique across accounts, deleted links included
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL CHECK (amount >= 0),  -- 0: the payer chooses
    currency    TEXT    NOT NULL,
    multiple    INTEGER NOT NULL CHECK (multiple IN (0, 1)),
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    used        INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
    used_at     INTEGER,
    success_url TEXT    NOT NULL DEFAULT '',
    cancel_url  TEXT    NOT NULL DEFAULT '',
    expires_at  INTEGER,                     -- for dialects with expiring links
    extra       TEXT,                        -- JSON: dialect-specific rich fields (line items, tax, ...)
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    claim_id    BLOB,                        -- the payment attempt holding a single-use link
    claim_until INTEGER
) STRICT;
-- Lists of an account's undeleted links in a mode, in either order, and their
-- count, read this index only. Queries must say "deleted_at IS NULL".
CREATE INDEX links_list ON links (account_id, livemode, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX links_account ON links (account_id);

CREATE TABLE checkout_sessions (
    id             BLOB    NOT NULL PRIMARY KEY,
    account_id     BLOB    NOT NULL REFERENCES accounts (id),
    livemode       INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    link_id        BLOB    REFERENCES links (id),
    status         TEXT    NOT NULL,          -- open, complete, expired
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    currency       TEXT    NOT NULL,
    email          TEXT    NOT NULL DEFAULT '',
    success_url    TEXT    NOT NULL DEFAULT '',
    cancel_url     TEXT    NOT NULL DEFAULT '',
    client_ref     TEXT    NOT NULL DEFAULT '',
    metadata       TEXT,                      -- JSON object
    data           TEXT,                      -- JSON: dialect-specific fields
    charge_id      BLOB,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    completed_at   INTEGER
) STRICT;
CREATE INDEX checkout_sessions_list ON checkout_sessions (account_id, livemode, created_at, id);
CREATE INDEX checkout_sessions_link ON checkout_sessions (link_id) WHERE link_id IS NOT NULL;
CREATE INDEX checkout_sessions_open ON checkout_sessions (expires_at) WHERE status = 'open';

CREATE TABLE charges (
    id                       BLOB    NOT NULL PRIMARY KEY,
    account_id               BLOB    NOT NULL REFERENCES accounts (id),
    livemode                 INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    link_id                  BLOB    REFERENCES links (id),
    session_id               BLOB,
    amount                   INTEGER NOT NULL CHECK (amount >= 0),
    currency                 TEXT    NOT NULL,
    description              TEXT    NOT NULL DEFAULT '',
    status                   TEXT    NOT NULL,
    capture                  INTEGER NOT NULL CHECK (capture IN (0, 1)),
    failure_code             TEXT    NOT NULL DEFAULT '',
    failure_message          TEXT    NOT NULL DEFAULT '',
    card_id                  BLOB    NOT NULL,
    card_brand               TEXT    NOT NULL DEFAULT '',
    card_first6              TEXT    NOT NULL DEFAULT '',
    card_last4               TEXT    NOT NULL DEFAULT '',
    card_exp_month           INTEGER NOT NULL DEFAULT 0,
    card_exp_year            INTEGER NOT NULL DEFAULT 0,
    card_name                TEXT    NOT NULL DEFAULT '',
    card_fingerprint         TEXT    NOT NULL DEFAULT '',
    card_security_code_check INTEGER NOT NULL DEFAULT 0 CHECK (card_security_code_check IN (0, 1)),
    email                    TEXT    NOT NULL DEFAULT '',
    metadata                 TEXT,            -- JSON object of strings
    transaction_id           BLOB,
    refunded_amount          INTEGER NOT NULL DEFAULT 0,
    created_at               INTEGER NOT NULL,
    paid_at                  INTEGER
) STRICT;
CREATE INDEX charges_list ON charges (account_id, livemode, created_at, id);
CREATE INDEX charges_link ON charges (account_id, livemode, link_id, created_at, id) WHERE link_id IS NOT NULL;
CREATE INDEX charges_session ON charges (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE tokens (
    id                       BLOB    NOT NULL PRIMARY KEY,
    account_id               BLOB    NOT NULL REFERENCES accounts (id),
    livemode                 INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    card_id                  BLOB    NOT NULL,
    card_brand               TEXT    NOT NULL DEFAULT '',
    card_first6              TEXT    NOT NULL DEFAULT '',
    card_last4               TEXT    NOT NULL DEFAULT '',
    card_exp_month           INTEGER NOT NULL DEFAULT 0,
    card_exp_year            INTEGER NOT NULL DEFAULT 0,
    card_name                TEXT    NOT NULL DEFAULT '',
    card_fingerprint         TEXT    NOT NULL DEFAULT '',
    card_security_code_check INTEGER NOT NULL DEFAULT 0 CHECK (card_security_code_check IN (0, 1)),
    processor_ref            TEXT    NOT NULL DEFAULT '',
    used                     INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
    charge_status            TEXT    NOT NULL DEFAULT 'unknown',
    created_at               INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_account ON tokens (account_id, livemode, created_at, id);

-- The outbox: every state change's event, written in the change's
-- transaction. A webhook dispatcher reads undelivered rows in order.
CREATE TABLE events (
    id              BLOB    NOT NULL PRIMARY KEY,
    account_id      BLOB    NOT NULL REFERENCES accounts (id),
    livemode        INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    key             TEXT    NOT NULL,
    object_type     TEXT    NOT NULL,
    object_id       BLOB    NOT NULL,
    data            TEXT,                     -- JSON, as the service encoded it
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,                  -- every endpoint has it, or none needed it
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_list ON events (account_id, livemode, created_at, id);
CREATE INDEX events_object ON events (object_id);
CREATE INDEX events_pending ON events (next_attempt_at, id) WHERE delivered_at IS NULL;

-- Idempotency-Key replays: the first response to a key is kept and served
-- again for the same request.
CREATE TABLE idempotency_keys (
    account_id      BLOB    NOT NULL REFERENCES accounts (id),
    livemode        INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    key             TEXT    NOT NULL,
    request_hash    BLOB    NOT NULL,          -- method, path and body, hashed
    locked_until    INTEGER,                   -- set while the first request runs
    response_status INTEGER,
    response_header TEXT,                      -- JSON
    response_body   BLOB,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- +goose Down

DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE tokens;
DROP TABLE charges;
DROP TABLE checkout_sessions;
DROP TABLE links;
DROP TABLE api_keys;
DROP TABLE accounts;
