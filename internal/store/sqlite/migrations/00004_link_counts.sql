-- The number of undeleted links per account and mode, kept by triggers in
-- the transaction of every change, so that the total of a list over the
-- whole history is one row read instead of a count that grows with the
-- table.

-- +goose Up
CREATE TABLE link_counts (
    account_id BLOB    NOT NULL,
    livemode   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode)
) STRICT, WITHOUT ROWID;

INSERT INTO link_counts (account_id, livemode, n)
    SELECT account_id, livemode, count(*) FROM links WHERE deleted_at IS NULL GROUP BY account_id, livemode;

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

-- +goose Down
DROP TRIGGER link_counts_remove;
DROP TRIGGER link_counts_delete;
DROP TRIGGER link_counts_insert;
DROP TABLE link_counts;
