-- The dashboard's lists and home page (issue #17); see SQLite's 00026.
-- Partial indexes in list order for the rare link states, and charge_days:
-- the successful charges' count and captured volume per account, mode, UTC
-- day, currency and link (the nil uuid for none), kept by a trigger in the
-- transaction of every charge write.

-- The title search (ILIKE '%text%') reads a trigram index when pg_trgm
-- can be created (a trusted extension: a database owner may); without it
-- the search still works, along the list.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    ns text;
BEGIN
    -- In public, not the first schema of the search path: the extension
    -- is one per database, shared by every schema's links.
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm unavailable (%): the title search reads the list', SQLERRM;
    END;
    SELECT n.nspname INTO ns FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace
        JOIN pg_am a ON a.oid = c.opcmethod WHERE c.opcname = 'gin_trgm_ops' AND a.amname = 'gin' LIMIT 1;
    IF ns IS NOT NULL THEN
        EXECUTE format('CREATE INDEX links_title_trgm_idx ON links USING gin (title %I.gin_trgm_ops) WHERE deleted_at IS NULL', ns);
    END IF;
END
$$;
-- +goose StatementEnd
CREATE INDEX links_inactive_idx ON links (account_id, livemode, created_at, id) WHERE NOT active AND deleted_at IS NULL;
CREATE INDEX links_archived_idx ON links (account_id, livemode, created_at, id) WHERE deleted_at IS NOT NULL;
CREATE INDEX checkout_sessions_link_list_idx ON checkout_sessions (account_id, livemode, link_id, created_at, id) WHERE link_id IS NOT NULL;

CREATE TABLE charge_days (
    account_id uuid    NOT NULL,
    livemode   boolean NOT NULL,
    day        date    NOT NULL, -- UTC
    currency   text    NOT NULL,
    link_id    uuid    NOT NULL, -- the nil uuid for charges made without a link
    n          bigint  NOT NULL,
    volume     bigint  NOT NULL, -- captured amounts, minor units
    PRIMARY KEY (account_id, livemode, day, currency, link_id)
);

INSERT INTO charge_days (account_id, livemode, day, currency, link_id, n, volume)
    SELECT account_id, livemode, (created_at AT TIME ZONE 'UTC')::date, currency,
        coalesce(link_id, '00000000-0000-0000-0000-000000000000'), count(*), sum(captured_amount)
    FROM charges WHERE status = 'successful'
    GROUP BY 1, 2, 3, 4, 5;

-- +goose StatementBegin
CREATE FUNCTION charge_days_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dn bigint := 0;
    dv bigint := 0;
BEGIN
    IF NEW.status = 'successful' THEN
        dn := 1;
        dv := NEW.captured_amount;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'successful' THEN
        dn := dn - 1;
        dv := dv - OLD.captured_amount;
    END IF;
    IF dn <> 0 OR dv <> 0 THEN
        INSERT INTO charge_days (account_id, livemode, day, currency, link_id, n, volume)
            VALUES (NEW.account_id, NEW.livemode, (NEW.created_at AT TIME ZONE 'UTC')::date, NEW.currency,
                coalesce(NEW.link_id, '00000000-0000-0000-0000-000000000000'), dn, dv)
            ON CONFLICT (account_id, livemode, day, currency, link_id)
            DO UPDATE SET n = charge_days.n + excluded.n, volume = charge_days.volume + excluded.volume;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER charge_days_insert AFTER INSERT ON charges FOR EACH ROW WHEN (NEW.status = 'successful') EXECUTE FUNCTION charge_days_apply();
CREATE TRIGGER charge_days_update AFTER UPDATE OF status, captured_amount ON charges FOR EACH ROW
    WHEN (OLD.status = 'successful' OR NEW.status = 'successful') EXECUTE FUNCTION charge_days_apply();

-- +goose Down
DROP TRIGGER charge_days_update ON charges;
DROP TRIGGER charge_days_insert ON charges;
DROP FUNCTION charge_days_apply();
DROP TABLE charge_days;
DROP INDEX checkout_sessions_link_list_idx;
DROP INDEX IF EXISTS links_title_trgm_idx;
DROP INDEX links_archived_idx;
DROP INDEX links_inactive_idx;
