-- TOTP second factor of dashboard users (issue #17): the secret sealed
-- with a server key, the last step used (no code twice), and single-use
-- recovery codes kept as SHA-256 hashes.

-- +goose Up
CREATE TABLE user_totp (
    user_id       BLOB    NOT NULL PRIMARY KEY REFERENCES users (id),
    secret_sealed BLOB    NOT NULL,
    confirmed_at  INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE user_recovery_codes (
    user_id   BLOB    NOT NULL REFERENCES users (id),
    code_hash BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

-- +goose Down
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
