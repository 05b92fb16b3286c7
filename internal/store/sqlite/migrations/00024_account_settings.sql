-- Account settings (issue #17): branding shown on the hosted pages, support
-- contacts, default currency, and the logo (checked image bytes, at most
-- 256 KB, served with its content type).

-- +goose Up
CREATE TABLE account_settings (
    account_id       BLOB    NOT NULL PRIMARY KEY REFERENCES accounts (id),
    business_name    TEXT    NOT NULL DEFAULT '',
    brand_color      TEXT    NOT NULL DEFAULT '',
    support_email    TEXT    NOT NULL DEFAULT '',
    support_url      TEXT    NOT NULL DEFAULT '',
    default_currency TEXT    NOT NULL DEFAULT '',
    logo_type        TEXT    NOT NULL DEFAULT '',
    logo             BLOB,
    logo_updated_at  INTEGER,
    updated_at       INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE account_settings;
