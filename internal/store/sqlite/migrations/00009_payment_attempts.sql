-- Money moves only with a record. A payment attempt is written before the
-- processor is asked to charge (in the transaction that claims the link or
-- session, or spends the token), carries the processor's idempotency key
-- (its id, which is also its charge's id), and is finalized in the
-- transaction that records the charge. The reconciler settles attempts a
-- crash left pending, leasing each row (lease_until).
--
-- simulator_charges is the test-mode simulator's own ledger, as an external
-- processor keeps one: one row per idempotency key, the charge it made or
-- the void a lookup left, written in its own transaction.

-- +goose Up
CREATE TABLE payment_attempts (
    id                       BLOB    NOT NULL PRIMARY KEY,
    account_id               BLOB    NOT NULL REFERENCES accounts (id),
    livemode                 INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    kind                     TEXT    NOT NULL CHECK (kind IN ('link', 'session', 'charge')),
    link_id                  BLOB,
    session_id               BLOB,
    token_id                 BLOB,
    claims_link              INTEGER NOT NULL CHECK (claims_link IN (0, 1)),
    claims_session           INTEGER NOT NULL CHECK (claims_session IN (0, 1)),
    amount                   INTEGER NOT NULL CHECK (amount >= 0),
    currency                 TEXT    NOT NULL,
    description              TEXT    NOT NULL DEFAULT '',
    capture                  INTEGER NOT NULL CHECK (capture IN (0, 1)),
    processor_ref            TEXT    NOT NULL DEFAULT '',
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
    idempotency_key          TEXT    NOT NULL DEFAULT '',
    status                   TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'voided')),
    charge_id                BLOB,
    created_at               INTEGER NOT NULL,
    lease_until              INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX payment_attempts_pending ON payment_attempts (created_at, id) WHERE status = 'pending';

CREATE TABLE simulator_charges (
    key                 TEXT    NOT NULL PRIMARY KEY,
    voided              INTEGER NOT NULL CHECK (voided IN (0, 1)),
    success             INTEGER NOT NULL DEFAULT 0 CHECK (success IN (0, 1)),
    failure_code        TEXT    NOT NULL DEFAULT '',
    failure_message     TEXT    NOT NULL DEFAULT '',
    security_code_check INTEGER NOT NULL DEFAULT 0 CHECK (security_code_check IN (0, 1)),
    amount              INTEGER NOT NULL DEFAULT 0,
    currency            TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE simulator_charges;
DROP TABLE payment_attempts;
