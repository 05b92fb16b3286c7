-- link_counts.v is the version of the order of an account's list of
-- undeleted links in a mode: the triggers bump it in the transaction of
-- every change that moves an entry of the list to another position (a soft
-- or hard delete, an insert before the greatest key). An insert after every
-- key the list ever had (the usual one: ids and created_at grow with time)
-- moves no entry and leaves v alone; it only adds to n. So positions read
-- in a snapshot with (n0, v) hold, for the first n0 entries, in every later
-- snapshot with the same v: what the offset checkpoints (checkpoint.go)
-- rely on, whichever process on the file made the change.
--
-- max_created_at, max_id: the greatest key (created_at, id) of an undeleted
-- link ever inserted for the account and mode, never lowered by a delete
-- (an upper bound is enough to tell an insert after every key). NULL: no
-- undeleted link since this migration, so n is 0.
--
-- created_at, id, account_id and livemode of a link are never updated, and
-- deleted_at is never cleared, so these three triggers see every change of
-- the list.

-- +goose Up
ALTER TABLE link_counts ADD COLUMN v INTEGER NOT NULL DEFAULT 0;
ALTER TABLE link_counts ADD COLUMN max_created_at INTEGER;
ALTER TABLE link_counts ADD COLUMN max_id BLOB;

UPDATE link_counts SET (max_created_at, max_id) = (
    SELECT created_at, id FROM links
    WHERE links.account_id = link_counts.account_id AND links.livemode = link_counts.livemode AND deleted_at IS NULL
    ORDER BY created_at DESC, id DESC LIMIT 1);

DROP TRIGGER link_counts_insert;
DROP TRIGGER link_counts_delete;
DROP TRIGGER link_counts_remove;

-- The SET expressions all read the row as it was before the update.
-- +goose StatementBegin
CREATE TRIGGER link_counts_insert AFTER INSERT ON links WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO link_counts (account_id, livemode, n, v, max_created_at, max_id)
        VALUES (NEW.account_id, NEW.livemode, 1, 0, NEW.created_at, NEW.id)
        ON CONFLICT (account_id, livemode) DO UPDATE SET
            n = n + 1,
            v = CASE WHEN max_created_at IS NULL OR (NEW.created_at, NEW.id) > (max_created_at, max_id)
                THEN v ELSE v + 1 END,
            max_created_at = CASE WHEN max_created_at IS NULL OR (NEW.created_at, NEW.id) > (max_created_at, max_id)
                THEN NEW.created_at ELSE max_created_at END,
            max_id = CASE WHEN max_created_at IS NULL OR (NEW.created_at, NEW.id) > (max_created_at, max_id)
                THEN NEW.id ELSE max_id END;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER link_counts_delete AFTER UPDATE OF deleted_at ON links
    WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE link_counts SET n = n - 1, v = v + 1 WHERE account_id = NEW.account_id AND livemode = NEW.livemode;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER link_counts_remove AFTER DELETE ON links WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE link_counts SET n = n - 1, v = v + 1 WHERE account_id = OLD.account_id AND livemode = OLD.livemode;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER link_counts_remove;
DROP TRIGGER link_counts_delete;
DROP TRIGGER link_counts_insert;

ALTER TABLE link_counts DROP COLUMN max_id;
ALTER TABLE link_counts DROP COLUMN max_created_at;
ALTER TABLE link_counts DROP COLUMN v;

-- +goose StatementBegin
CREATE TRIGGER link_counts_insert AFTER INSERT ON links WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO link_counts (account_id, livemode, n) VALUES (NEW.account_id, NEW.livemode, 1)
        ON CONFLICT (account_id, livemode) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER link_counts_delete AFTER UPDATE OF deleted_at ON links
    WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE link_counts SET n = n - 1 WHERE account_id = NEW.account_id AND livemode = NEW.livemode;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER link_counts_remove AFTER DELETE ON links WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE link_counts SET n = n - 1 WHERE account_id = OLD.account_id AND livemode = OLD.livemode;
END;
-- +goose StatementEnd
