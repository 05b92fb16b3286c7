-- Crypto checkout (issue 16): an account's settings per mode, with the
-- counter that hands out deposit address indexes (one UPDATE … RETURNING
-- under the row lock, never reused, unique across replicas), and each ETH
-- session's quote and on-chain state.

-- +goose Up
CREATE TABLE crypto_configs (
    account_id     uuid    NOT NULL REFERENCES accounts (id),
    livemode       boolean NOT NULL,
    xpub           text    NOT NULL,
    chain_id       bigint  NOT NULL CHECK (chain_id > 0),
    confirmations  integer NOT NULL CHECK (confirmations > 0),
    spread_bps     integer NOT NULL CHECK (spread_bps >= 0),
    tolerance_bps  integer NOT NULL CHECK (tolerance_bps >= 0),
    quote_window_s bigint  NOT NULL,
    late_grace_s   bigint  NOT NULL,
    methods        text    NOT NULL,
    next_index     bigint  NOT NULL DEFAULT 0 CHECK (next_index >= 0 AND next_index < 2147483648),
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, livemode)
);

CREATE TABLE session_crypto (
    session_id     uuid    PRIMARY KEY REFERENCES checkout_sessions (id),
    account_id     uuid    NOT NULL,
    livemode       boolean NOT NULL,
    deposit_index  bigint  NOT NULL,
    address        text    NOT NULL,
    address_key    text    NOT NULL,
    chain_id       bigint  NOT NULL,
    quote_wei      numeric(78, 0) NOT NULL,
    eth_price      text    NOT NULL,
    rate_sources   text    NOT NULL,
    rate_at        timestamptz NOT NULL,
    rate_fixed     boolean NOT NULL,
    spread_bps     integer NOT NULL,
    tolerance_bps  integer NOT NULL,
    confirmations  integer NOT NULL,
    late_grace_s   bigint  NOT NULL,
    status         text    NOT NULL,
    received_wei   numeric(78, 0) NOT NULL DEFAULT 0,
    transfers      jsonb   NOT NULL DEFAULT '[]',
    paid_at        timestamptz,
    watch_until    timestamptz NOT NULL,
    version        integer NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX session_crypto_index_idx ON session_crypto (account_id, livemode, deposit_index);
CREATE INDEX session_crypto_address_idx ON session_crypto (chain_id, address_key, watch_until);
-- The expiry sweep reads the pending few, not every ETH session.
CREATE INDEX session_crypto_pending_idx ON session_crypto (session_id) WHERE status = 'pending';

-- A checkout session paid in ETH is recorded as a charge whose source is
-- of type crypto (no card).
ALTER TABLE charges ADD COLUMN source_type text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE charges DROP COLUMN source_type;
DROP TABLE session_crypto;
DROP TABLE crypto_configs;
