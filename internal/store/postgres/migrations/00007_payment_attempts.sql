-- Money moves only with a record. A payment attempt is written before the
-- processor is asked to charge (in the transaction that claims the link or
-- session, or spends the token), carries the processor's idempotency key
-- (its id, which is also its charge's id), and is finalized in the
-- transaction that records the charge. The reconciler of every replica
-- settles attempts a crash left pending, leasing rows with
-- FOR UPDATE SKIP LOCKED and lease_until.
--
-- simulator_charges is the test-mode simulator's own ledger, as an external
-- processor keeps one: one row per idempotency key, the charge it made or
-- the void a lookup left, written in its own transaction.

-- +goose Up
CREATE TABLE payment_attempts (
    id                       uuid        NOT NULL PRIMARY KEY,
    account_id               uuid        NOT NULL REFERENCES accounts (id),
    livemode                 boolean     NOT NULL,
    kind                     text        NOT NULL CHECK (kind IN ('link', 'session', 'charge')),
    link_id                  uuid,
    session_id               uuid,
    token_id                 uuid,
    claims_link              boolean     NOT NULL,
    claims_session           boolean     NOT NULL,
    amount                   bigint      NOT NULL CHECK (amount >= 0),
    currency                 text        NOT NULL,
    description              text        NOT NULL DEFAULT '',
    capture                  boolean     NOT NULL,
    processor_ref            text        NOT NULL DEFAULT '',
    card_id                  uuid        NOT NULL,
    card_brand               text        NOT NULL DEFAULT '',
    card_first6              text        NOT NULL DEFAULT '',
    card_last4               text        NOT NULL DEFAULT '',
    card_exp_month           integer     NOT NULL DEFAULT 0,
    card_exp_year            integer     NOT NULL DEFAULT 0,
    card_name                text        NOT NULL DEFAULT '',
    card_fingerprint         text        NOT NULL DEFAULT '',
    card_security_code_check boolean     NOT NULL DEFAULT false,
    email                    text        NOT NULL DEFAULT '',
    metadata                 jsonb,
    idempotency_key          text        NOT NULL DEFAULT '',
    status                   text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'voided')),
    charge_id                uuid,
    created_at               timestamptz NOT NULL,
    lease_until              timestamptz
);
CREATE INDEX payment_attempts_pending ON payment_attempts (created_at, id) WHERE status = 'pending';

CREATE TABLE simulator_charges (
    key                 text        NOT NULL PRIMARY KEY,
    voided              boolean     NOT NULL,
    success             boolean     NOT NULL DEFAULT false,
    failure_code        text        NOT NULL DEFAULT '',
    failure_message     text        NOT NULL DEFAULT '',
    security_code_check boolean     NOT NULL DEFAULT false,
    amount              bigint      NOT NULL DEFAULT 0,
    currency            text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL
);

-- +goose Down
DROP TABLE simulator_charges;
DROP TABLE payment_attempts;
