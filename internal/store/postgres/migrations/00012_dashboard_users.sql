-- Dashboard users (issue #17) and their sessions. Only hashes are kept: an
-- argon2id hash of the password, SHA-256 of the setup and session tokens.

-- +goose Up
CREATE TABLE users (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES accounts (id),
    email            text NOT NULL UNIQUE,
    role             text NOT NULL CHECK (role IN ('owner', 'viewer')),
    password_hash    text NOT NULL DEFAULT '',
    setup_hash       bytea UNIQUE,
    setup_expires_at timestamptz,
    created_at       timestamptz NOT NULL
);
CREATE INDEX users_account_idx ON users (account_id);

CREATE TABLE user_sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- +goose Down
DROP TABLE user_sessions;
DROP TABLE users;
