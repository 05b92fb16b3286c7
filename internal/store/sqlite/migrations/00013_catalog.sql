-- The catalog (issue #15): products, prices, coupons, promotion codes, tax
-- and shipping rates, one row each. The columns are what the store queries
-- or changes itself (redemption counts are decided by a conditional UPDATE);
-- the rest of each object is JSON in data.

-- +goose Up
CREATE TABLE catalog_items (
    id              BLOB    NOT NULL PRIMARY KEY,
    account_id      BLOB    NOT NULL REFERENCES accounts (id),
    livemode        INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    kind            TEXT    NOT NULL,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    key             TEXT    NOT NULL DEFAULT '',
    max_redemptions INTEGER NOT NULL DEFAULT 0 CHECK (max_redemptions >= 0),
    times_redeemed  INTEGER NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
    redeem_until    INTEGER,
    data            BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX catalog_items_list ON catalog_items (account_id, livemode, kind, created_at, id);
CREATE UNIQUE INDEX catalog_items_key ON catalog_items (account_id, livemode, kind, key) WHERE key <> '';

-- The cart of a link that sells catalog prices (one row per such link).
CREATE TABLE link_carts (
    link_id    BLOB    NOT NULL PRIMARY KEY REFERENCES links (id),
    account_id BLOB    NOT NULL,
    livemode   INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    data       BLOB    NOT NULL
) STRICT;

-- +goose Down
DROP TABLE link_carts;
DROP TABLE catalog_items;
