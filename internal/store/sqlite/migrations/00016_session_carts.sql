-- +goose Up
-- What a payer bought through a link that sells a cart (lines, totals,
-- addresses, answers: paylinks.SessionCart as JSON), on the payment's
-- attempt (so the reconciler can record it) and on the session it makes.
-- redeems lists the catalog items (coupon, promotion code) the attempt
-- redeemed when it was written, as a JSON array of hex ids; a declined or
-- voided attempt gives them back.
ALTER TABLE payment_attempts ADD COLUMN cart TEXT;
ALTER TABLE payment_attempts ADD COLUMN redeems TEXT;
ALTER TABLE checkout_sessions ADD COLUMN cart TEXT;

-- +goose Down
ALTER TABLE checkout_sessions DROP COLUMN cart;
ALTER TABLE payment_attempts DROP COLUMN redeems;
ALTER TABLE payment_attempts DROP COLUMN cart;
