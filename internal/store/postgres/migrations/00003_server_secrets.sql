-- Server secrets shared by every paylinks process on this database: the key
-- of the checkout's CSRF tokens and receipt links, the key of card
-- fingerprints. Each is made once, by whichever process needs it first.

-- +goose Up
CREATE TABLE server_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL CHECK (length(value) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE server_secrets;
