-- A link's number of charges is kept on the link, counted by a trigger in
-- the transaction of every charge, instead of being counted by a
-- subquery on every read of a link (a seek in charges_link per link: a
-- tenth of a list page's store time). Charges are never deleted and never
-- change link.

-- +goose Up
ALTER TABLE links ADD COLUMN charge_count INTEGER NOT NULL DEFAULT 0 CHECK (charge_count >= 0);
UPDATE links SET charge_count = (SELECT count(*) FROM charges WHERE charges.account_id = links.account_id
    AND charges.livemode = links.livemode AND charges.link_id = links.id)
WHERE id IN (SELECT link_id FROM charges WHERE link_id IS NOT NULL);
-- +goose StatementBegin
CREATE TRIGGER links_charge_count AFTER INSERT ON charges WHEN NEW.link_id IS NOT NULL
BEGIN
    UPDATE links SET charge_count = charge_count + 1
    WHERE id = NEW.link_id AND account_id = NEW.account_id AND livemode = NEW.livemode;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER links_charge_count;
ALTER TABLE links DROP COLUMN charge_count;
