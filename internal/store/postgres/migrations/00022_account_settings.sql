-- Account settings (issue #17): branding shown on the hosted pages, support
-- contacts, default currency, and the logo (checked image bytes, at most
-- 256 KB, served with its content type).

-- +goose Up
CREATE TABLE account_settings (
    account_id       uuid PRIMARY KEY REFERENCES accounts (id),
    business_name    text NOT NULL DEFAULT '',
    brand_color      text NOT NULL DEFAULT '',
    support_email    text NOT NULL DEFAULT '',
    support_url      text NOT NULL DEFAULT '',
    default_currency text NOT NULL DEFAULT '',
    logo_type        text NOT NULL DEFAULT '',
    logo             bytea,
    logo_updated_at  timestamptz,
    updated_at       timestamptz NOT NULL
);

-- +goose Down
DROP TABLE account_settings;
