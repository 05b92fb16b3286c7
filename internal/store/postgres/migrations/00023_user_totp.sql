-- TOTP second factor of dashboard users (issue #17): the secret sealed
-- with a server key, the last step used (no code twice), and single-use
-- recovery codes kept as SHA-256 hashes.

-- +goose Up
CREATE TABLE user_totp (
    user_id       uuid PRIMARY KEY REFERENCES users (id),
    secret_sealed bytea NOT NULL,
    confirmed_at  timestamptz,
    last_step     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL
);

CREATE TABLE user_recovery_codes (
    user_id   uuid NOT NULL REFERENCES users (id),
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- +goose Down
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
