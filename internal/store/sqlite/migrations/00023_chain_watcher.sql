-- The chain watcher's progress: the newest blocks it processed on each
-- chain (to find the common ancestor after a reorganisation), the native
-- ETH transfers it kept (successful transactions with a value to a watched
-- deposit address), and the addresses whose activity changed and was not
-- yet given to the sink (so that a crash between the two loses nothing).

-- +goose Up
CREATE TABLE chain_blocks (
    chain_id    INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    parent_hash TEXT    NOT NULL,
    PRIMARY KEY (chain_id, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE chain_transfers (
    chain_id     INTEGER NOT NULL,
    tx_hash      TEXT    NOT NULL,
    to_address   TEXT    NOT NULL,
    wei          TEXT    NOT NULL, -- decimal integer, up to 2^256
    block_number INTEGER NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   INTEGER NOT NULL, -- unix microseconds
    tx_index     INTEGER NOT NULL,
    PRIMARY KEY (chain_id, tx_hash)
) STRICT;
CREATE INDEX chain_transfers_address ON chain_transfers (chain_id, to_address, block_number, tx_index);
CREATE INDEX chain_transfers_block ON chain_transfers (chain_id, block_number);

CREATE TABLE chain_unobserved (
    chain_id INTEGER NOT NULL,
    address  TEXT    NOT NULL,
    PRIMARY KEY (chain_id, address)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE chain_unobserved;
DROP TABLE chain_transfers;
DROP TABLE chain_blocks;
