-- Crypto checkout (issue 16): an account's settings per mode, with the
-- counter that hands out deposit address indexes (one UPDATE … RETURNING,
-- never reused), and each ETH session's quote and on-chain state.

-- +goose Up
CREATE TABLE crypto_configs (
    account_id     BLOB    NOT NULL REFERENCES accounts (id),
    livemode       INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    xpub           TEXT    NOT NULL,
    chain_id       INTEGER NOT NULL CHECK (chain_id > 0),
    confirmations  INTEGER NOT NULL CHECK (confirmations > 0),
    spread_bps     INTEGER NOT NULL CHECK (spread_bps >= 0),
    tolerance_bps  INTEGER NOT NULL CHECK (tolerance_bps >= 0),
    quote_window_s INTEGER NOT NULL,
    late_grace_s   INTEGER NOT NULL,
    methods        TEXT    NOT NULL,          -- comma-separated: card,eth
    next_index     INTEGER NOT NULL DEFAULT 0 CHECK (next_index >= 0 AND next_index < 2147483648),
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode)
) STRICT;

CREATE TABLE session_crypto (
    session_id     BLOB    NOT NULL PRIMARY KEY REFERENCES checkout_sessions (id),
    account_id     BLOB    NOT NULL,
    livemode       INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    deposit_index  INTEGER NOT NULL,
    address        TEXT    NOT NULL,          -- EIP-55
    address_key    TEXT    NOT NULL,          -- lower-case, for lookups
    chain_id       INTEGER NOT NULL,
    quote_wei      TEXT    NOT NULL,          -- decimal integer
    eth_price      TEXT    NOT NULL,          -- exact decimal
    rate_sources   TEXT    NOT NULL,          -- comma-separated
    rate_at        INTEGER NOT NULL,
    rate_fixed     INTEGER NOT NULL CHECK (rate_fixed IN (0, 1)),
    spread_bps     INTEGER NOT NULL,
    tolerance_bps  INTEGER NOT NULL,
    confirmations  INTEGER NOT NULL,
    late_grace_s   INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    received_wei   TEXT    NOT NULL DEFAULT '0',
    transfers      TEXT    NOT NULL DEFAULT '[]', -- JSON list of transfers
    paid_at        INTEGER,
    watch_until    INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX session_crypto_index ON session_crypto (account_id, livemode, deposit_index);
CREATE INDEX session_crypto_address ON session_crypto (chain_id, address_key, watch_until);
-- The expiry sweep reads the pending few, not every ETH session.
CREATE INDEX session_crypto_pending ON session_crypto (session_id) WHERE status = 'pending';

-- A checkout session paid in ETH is recorded as a charge whose source is
-- of type crypto (no card).
ALTER TABLE charges ADD COLUMN source_type TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE charges DROP COLUMN source_type;
DROP TABLE session_crypto;
DROP TABLE crypto_configs;
