-- The whole paylinks schema. Times are timestamptz with microsecond
-- precision; money is bigint minor units plus an uppercase ISO 4217 code;
-- ids are UUIDv7.

-- +goose Up
CREATE TABLE accounts (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- API keys are stored as the SHA-256 of the whole key plus a display prefix.
CREATE TABLE api_keys (
    id         uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    livemode   boolean NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('secret', 'public', 'restricted')),
    scopes     text[] NOT NULL DEFAULT '{}',
    prefix     text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_created_idx ON api_keys (created_at, id);
CREATE INDEX api_keys_account_idx ON api_keys (account_id);

-- One row per payment link, whichever dialect made it. claim_id and
-- claim_until reserve a single-use link for one payment attempt.
CREATE TABLE links (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id),
    livemode    boolean NOT NULL,
    slug        text NOT NULL UNIQUE,     -- across accounts, deleted links included
    title       text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    amount      bigint NOT NULL CHECK (amount >= 0),
    currency    text NOT NULL,
    multiple    boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    used        boolean NOT NULL DEFAULT false,
    used_at     timestamptz,
    success_url text NOT NULL DEFAULT '',
    cancel_url  text NOT NULL DEFAULT '',
    expires_at  timestamptz,              -- for dialects with expiring links
    extra       jsonb,                    -- dialect-specific rich fields (line items, tax, ...)
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz,
    claim_id    uuid,
    claim_until timestamptz
);
-- Lists of an account's undeleted links in a mode, in either order, and their
-- count, read this index only. Queries must say "deleted_at IS NULL".
CREATE INDEX links_list_idx ON links (account_id, livemode, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX links_account_idx ON links (account_id);

-- Checkout sessions (JSON v1 dialect and the hosted page's payment attempts).
CREATE TABLE checkout_sessions (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    livemode     boolean NOT NULL,
    link_id      uuid REFERENCES links (id),
    status       text NOT NULL,            -- open, complete, expired
    amount       bigint NOT NULL CHECK (amount >= 0),
    currency     text NOT NULL,
    email        text NOT NULL DEFAULT '',
    success_url  text NOT NULL DEFAULT '',
    cancel_url   text NOT NULL DEFAULT '',
    client_ref   text NOT NULL DEFAULT '',
    metadata     jsonb,
    data         jsonb,                    -- dialect-specific fields
    charge_id    uuid,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    completed_at timestamptz
);
CREATE INDEX checkout_sessions_list_idx ON checkout_sessions (account_id, livemode, created_at, id);
CREATE INDEX checkout_sessions_link_idx ON checkout_sessions (link_id) WHERE link_id IS NOT NULL;
CREATE INDEX checkout_sessions_open_idx ON checkout_sessions (expires_at) WHERE status = 'open';

-- Charges keep only brand, first 6 / last 4, expiry, name and a fingerprint
-- (HMAC) of the card: never the number or the security code.
CREATE TABLE charges (
    id                       uuid PRIMARY KEY,
    account_id               uuid NOT NULL REFERENCES accounts (id),
    livemode                 boolean NOT NULL,
    link_id                  uuid REFERENCES links (id),
    session_id               uuid,
    amount                   bigint NOT NULL CHECK (amount >= 0),
    currency                 text NOT NULL,
    description              text NOT NULL DEFAULT '',
    status                   text NOT NULL,
    capture                  boolean NOT NULL DEFAULT true,
    failure_code             text NOT NULL DEFAULT '',
    failure_message          text NOT NULL DEFAULT '',
    card_id                  uuid NOT NULL,
    card_brand               text NOT NULL DEFAULT '',
    card_first6              text NOT NULL DEFAULT '',
    card_last4               text NOT NULL DEFAULT '',
    card_exp_month           integer NOT NULL DEFAULT 0,
    card_exp_year            integer NOT NULL DEFAULT 0,
    card_name                text NOT NULL DEFAULT '',
    card_fingerprint         text NOT NULL DEFAULT '',
    card_security_code_check boolean NOT NULL DEFAULT false,
    email                    text NOT NULL DEFAULT '',
    metadata                 jsonb,
    transaction_id           uuid,
    refunded_amount          bigint NOT NULL DEFAULT 0,
    created_at               timestamptz NOT NULL,
    paid_at                  timestamptz
);
CREATE INDEX charges_list_idx ON charges (account_id, livemode, created_at, id);
CREATE INDEX charges_link_idx ON charges (account_id, livemode, link_id, created_at, id) WHERE link_id IS NOT NULL;
CREATE INDEX charges_session_idx ON charges (session_id) WHERE session_id IS NOT NULL;

-- Tokens are single-use handles on a card; processor_ref is what the
-- processor needs to charge it, never the card number.
CREATE TABLE tokens (
    id                       uuid PRIMARY KEY,
    account_id               uuid NOT NULL REFERENCES accounts (id),
    livemode                 boolean NOT NULL,
    card_id                  uuid NOT NULL,
    card_brand               text NOT NULL DEFAULT '',
    card_first6              text NOT NULL DEFAULT '',
    card_last4               text NOT NULL DEFAULT '',
    card_exp_month           integer NOT NULL DEFAULT 0,
    card_exp_year            integer NOT NULL DEFAULT 0,
    card_name                text NOT NULL DEFAULT '',
    card_fingerprint         text NOT NULL DEFAULT '',
    card_security_code_check boolean NOT NULL DEFAULT false,
    processor_ref            text NOT NULL DEFAULT '',
    used                     boolean NOT NULL DEFAULT false,
    charge_status            text NOT NULL DEFAULT 'unknown',
    created_at               timestamptz NOT NULL
);
CREATE INDEX tokens_account_idx ON tokens (account_id, livemode, created_at, id);

-- The outbox: every state change's event, written in the change's
-- transaction. data is json (not jsonb) so that the payload keeps the exact
-- bytes the service encoded. The delivery columns are for the webhook
-- dispatcher: it takes undelivered rows whose next_attempt_at has passed.
CREATE TABLE events (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id),
    livemode        boolean NOT NULL,
    key             text NOT NULL,
    object_type     text NOT NULL,
    object_id       uuid NOT NULL,
    data            json,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz
);
CREATE INDEX events_list_idx ON events (account_id, livemode, created_at, id);
CREATE INDEX events_object_idx ON events (object_id);
CREATE INDEX events_pending_idx ON events (next_attempt_at, id) WHERE delivered_at IS NULL;

-- Idempotency-Key records of the JSON v1 dialect: the first request with a
-- key locks it, and its response is replayed to the retries.
CREATE TABLE idempotency_keys (
    account_id       uuid NOT NULL REFERENCES accounts (id),
    livemode         boolean NOT NULL,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,       -- method, path and body, hashed
    locked_until     timestamptz,          -- set while the first request runs
    response_status  integer,
    response_header  jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, livemode, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE tokens;
DROP TABLE charges;
DROP TABLE checkout_sessions;
DROP TABLE links;
DROP TABLE api_keys;
DROP TABLE accounts;
