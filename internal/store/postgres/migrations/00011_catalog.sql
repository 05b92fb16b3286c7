-- The catalog (issue #15): products, prices, coupons, promotion codes, tax
-- and shipping rates, one row each. The columns are what the store queries
-- or changes itself (redemption counts are decided by a conditional UPDATE);
-- the rest of each object is JSON in data.

-- +goose Up
CREATE TABLE catalog_items (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id),
    livemode        boolean NOT NULL,
    kind            text NOT NULL,
    active          boolean NOT NULL,
    key             text NOT NULL DEFAULT '',
    max_redemptions integer NOT NULL DEFAULT 0 CHECK (max_redemptions >= 0),
    times_redeemed  integer NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
    redeem_until    timestamptz,
    data            jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX catalog_items_list_idx ON catalog_items (account_id, livemode, kind, created_at, id);
CREATE UNIQUE INDEX catalog_items_key_idx ON catalog_items (account_id, livemode, kind, key) WHERE key <> '';

-- The cart of a link that sells catalog prices (one row per such link).
CREATE TABLE link_carts (
    link_id    uuid PRIMARY KEY REFERENCES links (id),
    account_id uuid NOT NULL,
    livemode   boolean NOT NULL,
    data       jsonb NOT NULL
);

-- +goose Down
DROP TABLE link_carts;
DROP TABLE catalog_items;
