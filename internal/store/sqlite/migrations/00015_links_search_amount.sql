-- A search of links by amount reads an index of the amounts instead of the
-- account's whole list. It takes the place of links_account, which no query
-- uses (every read of links by account names livemode and deleted_at IS
-- NULL, and reads links_list or a search index), so creating a link writes
-- as many b-trees as before. The amount is the second column: a search of one amount
-- (account, amount and mode equal) is one range, already in created_at
-- order; a search without one finds nothing here to seek on, so the
-- planner keeps to links_list and the used/multiple indexes. currency,
-- last, lets the count read the index alone.

-- +goose Up
DROP INDEX links_account;
CREATE INDEX links_search_amount ON links (account_id, amount, livemode, created_at, id, currency) WHERE deleted_at IS NULL;

-- link_counts also keeps how many of the undeleted links are used,
-- multi-use, and both, so that the total of a search by used and multiple
-- alone (most of the links, for one of the two values) is one row read
-- instead of a count of most of the table. The triggers are those of
-- 00006 with these three sums added, and one more for a link whose used
-- or multiple changes.
ALTER TABLE link_counts ADD COLUMN used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE link_counts ADD COLUMN multiple INTEGER NOT NULL DEFAULT 0;
ALTER TABLE link_counts ADD COLUMN used_multiple INTEGER NOT NULL DEFAULT 0;

UPDATE link_counts SET (used, multiple, used_multiple) = (
    SELECT coalesce(sum(used), 0), coalesce(sum(multiple), 0), coalesce(sum(used AND multiple), 0) FROM links
    WHERE links.account_id = link_counts.account_id AND links.livemode = link_counts.livemode AND deleted_at IS NULL);

DROP TRIGGER link_counts_insert;
DROP TRIGGER link_counts_delete;
DROP TRIGGER link_counts_remove;

-- +goose StatementBegin
CREATE TRIGGER link_counts_insert AFTER INSERT ON links WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO link_counts (account_id, livemode, n, v, max_created_at, max_id, used, multiple, used_multiple)
        VALUES (NEW.account_id, NEW.livemode, 1, 0, NEW.created_at, NEW.id, NEW.used, NEW.multiple, NEW.used AND NEW.multiple)
        ON CONFLICT (account_id, livemode) DO UPDATE SET
            n = n + 1,
            v = CASE WHEN max_created_at IS NULL OR (NEW.created_at, NEW.id) > (max_created_at, max_id)
                THEN v ELSE v + 1 END,
            max_created_at = CASE WHEN max_created_at IS NULL OR (NEW.created_at, NEW.id) > (max_created_at, max_id)
                THEN NEW.created_at ELSE max_created_at END,
            max_id = CASE WHEN max_created_at IS NULL OR (NEW.created_at, NEW.id) > (max_created_at, max_id)
                THEN NEW.id ELSE max_id END,
            used = used + NEW.used,
            multiple = multiple + NEW.multiple,
            used_multiple = used_multiple + (NEW.used AND NEW.multiple);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER link_counts_delete AFTER UPDATE OF deleted_at ON links
    WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE link_counts SET n = n - 1, v = v + 1,
        used = used - OLD.used, multiple = multiple - OLD.multiple, used_multiple = used_multiple - (OLD.used AND OLD.multiple)
        WHERE account_id = NEW.account_id AND livemode = NEW.livemode;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER link_counts_remove AFTER DELETE ON links WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE link_counts SET n = n - 1, v = v + 1,
        used = used - OLD.used, multiple = multiple - OLD.multiple, used_multiple = used_multiple - (OLD.used AND OLD.multiple)
        WHERE account_id = OLD.account_id AND livemode = OLD.livemode;
END;
-- +goose StatementEnd

-- An undeleted link that changes: the sums move by the difference. (One
-- deleted in the same statement is link_counts_delete's, with its old
-- values.)
-- +goose StatementBegin
CREATE TRIGGER link_counts_flags AFTER UPDATE OF used, multiple ON links
    WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NULL AND (OLD.used <> NEW.used OR OLD.multiple <> NEW.multiple)
BEGIN
    UPDATE link_counts SET used = used + NEW.used - OLD.used, multiple = multiple + NEW.multiple - OLD.multiple,
        used_multiple = used_multiple + (NEW.used AND NEW.multiple) - (OLD.used AND OLD.multiple)
        WHERE account_id = NEW.account_id AND livemode = NEW.livemode;
END;
-- +goose StatementEnd

-- A search of refunded charges reads the few that are: a charge is written
-- to this index only when refunded, never when paid.
CREATE INDEX charges_search_refunded ON charges (account_id, livemode, created_at, id) WHERE refunded_amount > 0;

-- The number of charges per account and mode, of the successful ones and
-- of the refunded ones, kept by triggers in the transaction of every
-- change, so that the total of a search by status successful or refunded
-- false (most of the charges) is one row read, not a count of the table.
CREATE TABLE charge_counts (
    account_id BLOB    NOT NULL,
    livemode   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    successful INTEGER NOT NULL,
    refunded   INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode)
) STRICT, WITHOUT ROWID;

INSERT INTO charge_counts (account_id, livemode, n, successful, refunded)
    SELECT account_id, livemode, count(*), coalesce(sum(status = 'successful'), 0), coalesce(sum(refunded_amount > 0), 0)
    FROM charges GROUP BY account_id, livemode;

-- +goose StatementBegin
CREATE TRIGGER charge_counts_insert AFTER INSERT ON charges
BEGIN
    INSERT INTO charge_counts (account_id, livemode, n, successful, refunded)
        VALUES (NEW.account_id, NEW.livemode, 1, NEW.status = 'successful', NEW.refunded_amount > 0)
        ON CONFLICT (account_id, livemode) DO UPDATE SET
            n = n + 1, successful = successful + (NEW.status = 'successful'), refunded = refunded + (NEW.refunded_amount > 0);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER charge_counts_update AFTER UPDATE OF status, refunded_amount ON charges
    WHEN (OLD.status = 'successful') <> (NEW.status = 'successful') OR (OLD.refunded_amount > 0) <> (NEW.refunded_amount > 0)
BEGIN
    UPDATE charge_counts SET successful = successful + (NEW.status = 'successful') - (OLD.status = 'successful'),
        refunded = refunded + (NEW.refunded_amount > 0) - (OLD.refunded_amount > 0)
        WHERE account_id = NEW.account_id AND livemode = NEW.livemode;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER charge_counts_delete AFTER DELETE ON charges
BEGIN
    UPDATE charge_counts SET n = n - 1, successful = successful - (OLD.status = 'successful'),
        refunded = refunded - (OLD.refunded_amount > 0)
        WHERE account_id = OLD.account_id AND livemode = OLD.livemode;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER charge_counts_delete;
DROP TRIGGER charge_counts_update;
DROP TRIGGER charge_counts_insert;
DROP TABLE charge_counts;
DROP INDEX charges_search_refunded;
DROP INDEX links_search_amount;
CREATE INDEX links_account ON links (account_id);

DROP TRIGGER link_counts_flags;
DROP TRIGGER link_counts_insert;
DROP TRIGGER link_counts_delete;
DROP TRIGGER link_counts_remove;

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

ALTER TABLE link_counts DROP COLUMN used_multiple;
ALTER TABLE link_counts DROP COLUMN multiple;
ALTER TABLE link_counts DROP COLUMN used;
