-- The chain watcher's progress: the newest blocks it processed on each
-- chain (to find the common ancestor after a reorganisation), the native
-- ETH transfers it kept (successful transactions with a value to a watched
-- deposit address), and the addresses whose activity changed and was not
-- yet given to the sink (so that a crash between the two loses nothing).

-- +goose Up
CREATE TABLE chain_blocks (
    chain_id    bigint NOT NULL,
    number      bigint NOT NULL,
    hash        text   NOT NULL,
    parent_hash text   NOT NULL,
    PRIMARY KEY (chain_id, number)
);

CREATE TABLE chain_transfers (
    chain_id     bigint        NOT NULL,
    tx_hash      text          NOT NULL,
    to_address   text          NOT NULL,
    wei          numeric(78,0) NOT NULL CHECK (wei > 0),
    block_number bigint        NOT NULL,
    block_hash   text          NOT NULL,
    block_time   timestamptz   NOT NULL,
    tx_index     integer       NOT NULL,
    PRIMARY KEY (chain_id, tx_hash)
);
CREATE INDEX chain_transfers_address ON chain_transfers (chain_id, to_address, block_number, tx_index);
CREATE INDEX chain_transfers_block ON chain_transfers (chain_id, block_number);

CREATE TABLE chain_unobserved (
    chain_id bigint NOT NULL,
    address  text   NOT NULL,
    PRIMARY KEY (chain_id, address)
);

-- +goose Down
DROP TABLE chain_unobserved;
DROP TABLE chain_transfers;
DROP TABLE chain_blocks;
