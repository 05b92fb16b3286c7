-- Server secrets: the key of the checkout's CSRF tokens and receipt links,
-- the key of card fingerprints. Each is made once, by whichever process
-- needs it first, so that restarts (and other processes on the file) keep
-- using it.

-- +goose Up
CREATE TABLE server_secrets (
    name       TEXT    NOT NULL PRIMARY KEY,
    value      BLOB    NOT NULL CHECK (length(value) > 0),
    created_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000000 AS INTEGER))
) STRICT;

-- +goose Down
DROP TABLE server_secrets;
