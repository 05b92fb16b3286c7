-- A search of links by amount reads an index of the amounts instead of the
-- account's whole list. It takes the place of links_account_idx, which no
-- query uses (every read of links by account names livemode and deleted_at
-- IS NULL, and reads links_list_idx or a search index), so creating a link
-- writes as many b-trees as before. The amount is the second column: a search of one amount
-- (account, amount and mode equal) is one range, already in created_at
-- order; a search without one finds nothing here to seek on, so the
-- planner keeps to links_list_idx and the used/multiple indexes. currency,
-- last, lets the count read the index alone.

-- +goose Up
DROP INDEX links_account_idx;
CREATE INDEX links_search_amount_idx ON links (account_id, amount, livemode, created_at, id, currency) WHERE deleted_at IS NULL;

-- A search of refunded charges reads the few that are: a charge is written
-- to this index only when refunded, never when paid.
CREATE INDEX charges_search_refunded_idx ON charges (account_id, livemode, created_at, id) WHERE refunded_amount > 0;

-- +goose Down
DROP INDEX charges_search_refunded_idx;
DROP INDEX links_search_amount_idx;
CREATE INDEX links_account_idx ON links (account_id);
