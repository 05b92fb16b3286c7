-- The dashboard's lists and home page (issue #17).
--
-- The links page filters by state and pages by keyset, newest first: each
-- rare state has a partial index in list order, so that a page of it is
-- read from its index and never by walking the whole list (active and
-- used have theirs: links_list and links_search_used).
--
-- The home page sums a month of successful charges per day and currency
-- and ranks the links by what they sold: charge_days keeps those sums per
-- account, mode, UTC day, currency and link (a zero id for none), kept by
-- triggers in the transaction of every charge write, so the page reads
-- about 30 rows per currency, not a month of charges.

-- The title search reads links_title, an FTS5 index of trigrams of the
-- links' titles (external content: the titles stay in links only), kept
-- by triggers: a LIKE '%text%' of three characters or more finds its
-- matches in the index instead of reading every link's title.

-- +goose Up
CREATE VIRTUAL TABLE links_title USING fts5(title, content='links', content_rowid='rowid', tokenize='trigram');
INSERT INTO links_title (links_title) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER links_title_insert AFTER INSERT ON links
BEGIN
    INSERT INTO links_title (rowid, title) VALUES (NEW.rowid, NEW.title);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER links_title_delete AFTER DELETE ON links
BEGIN
    INSERT INTO links_title (links_title, rowid, title) VALUES ('delete', OLD.rowid, OLD.title);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER links_title_update AFTER UPDATE OF title ON links
BEGIN
    INSERT INTO links_title (links_title, rowid, title) VALUES ('delete', OLD.rowid, OLD.title);
    INSERT INTO links_title (rowid, title) VALUES (NEW.rowid, NEW.title);
END;
-- +goose StatementEnd

CREATE INDEX links_inactive ON links (account_id, livemode, created_at, id) WHERE active = 0 AND deleted_at IS NULL;
CREATE INDEX links_archived ON links (account_id, livemode, created_at, id) WHERE deleted_at IS NOT NULL;
-- A link's page lists its latest checkout sessions.
CREATE INDEX checkout_sessions_link_list ON checkout_sessions (account_id, livemode, link_id, created_at, id) WHERE link_id IS NOT NULL;

CREATE TABLE charge_days (
    account_id BLOB    NOT NULL,
    livemode   INTEGER NOT NULL,
    day        INTEGER NOT NULL, -- days since 1970-01-01 (UTC)
    currency   TEXT    NOT NULL,
    link_id    BLOB    NOT NULL, -- zeroblob(16) for charges made without a link
    n          INTEGER NOT NULL,
    volume     INTEGER NOT NULL, -- captured amounts, minor units
    PRIMARY KEY (account_id, livemode, day, currency, link_id)
) STRICT, WITHOUT ROWID;

INSERT INTO charge_days (account_id, livemode, day, currency, link_id, n, volume)
    SELECT account_id, livemode, created_at / 86400000000, currency, coalesce(link_id, zeroblob(16)), count(*), sum(captured_amount)
    FROM charges WHERE status = 'successful'
    GROUP BY account_id, livemode, created_at / 86400000000, currency, coalesce(link_id, zeroblob(16));

-- +goose StatementBegin
CREATE TRIGGER charge_days_insert AFTER INSERT ON charges WHEN NEW.status = 'successful'
BEGIN
    INSERT INTO charge_days (account_id, livemode, day, currency, link_id, n, volume)
        VALUES (NEW.account_id, NEW.livemode, NEW.created_at / 86400000000, NEW.currency, coalesce(NEW.link_id, zeroblob(16)), 1, NEW.captured_amount)
        ON CONFLICT (account_id, livemode, day, currency, link_id) DO UPDATE SET n = n + 1, volume = volume + excluded.volume;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER charge_days_update AFTER UPDATE OF status, captured_amount ON charges
    WHEN OLD.status = 'successful' OR NEW.status = 'successful'
BEGIN
    INSERT INTO charge_days (account_id, livemode, day, currency, link_id, n, volume)
        VALUES (NEW.account_id, NEW.livemode, NEW.created_at / 86400000000, NEW.currency, coalesce(NEW.link_id, zeroblob(16)),
            (NEW.status = 'successful') - (OLD.status = 'successful'),
            iif(NEW.status = 'successful', NEW.captured_amount, 0) - iif(OLD.status = 'successful', OLD.captured_amount, 0))
        ON CONFLICT (account_id, livemode, day, currency, link_id) DO UPDATE SET n = n + excluded.n, volume = volume + excluded.volume;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER charge_days_update;
DROP TRIGGER charge_days_insert;
DROP TABLE charge_days;
DROP INDEX checkout_sessions_link_list;
DROP TRIGGER links_title_update;
DROP TRIGGER links_title_delete;
DROP TRIGGER links_title_insert;
DROP TABLE links_title;
DROP INDEX links_archived;
DROP INDEX links_inactive;
