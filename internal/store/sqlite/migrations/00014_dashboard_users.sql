-- Dashboard users (issue #17) and their sessions. Only hashes are kept: an
-- argon2id hash of the password, SHA-256 of the setup and session tokens.

-- +goose Up
CREATE TABLE users (
    id               BLOB    NOT NULL PRIMARY KEY,
    account_id       BLOB    NOT NULL REFERENCES accounts (id),
    email            TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL CHECK (role IN ('owner', 'viewer')),
    password_hash    TEXT    NOT NULL DEFAULT '',
    setup_hash       BLOB    UNIQUE,
    setup_expires_at INTEGER,
    created_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX users_account_idx ON users (account_id);

CREATE TABLE user_sessions (
    id           BLOB    NOT NULL PRIMARY KEY,
    user_id      BLOB    NOT NULL REFERENCES users (id),
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- +goose Down
DROP TABLE user_sessions;
DROP TABLE users;
