-- A link may take at most payment_limit successful payments (issue #15,
-- Stripe's restrictions.completed_sessions.limit); 0 is no limit beyond
-- multiple (a single-use link takes one). payment_count is how many it
-- took; the charge that reaches the limit marks the link used, in the
-- transaction that records it, under the link's claim.

-- +goose Up
ALTER TABLE links ADD COLUMN payment_limit integer NOT NULL DEFAULT 0 CHECK (payment_limit >= 0);
ALTER TABLE links ADD COLUMN payment_count integer NOT NULL DEFAULT 0 CHECK (payment_count >= 0);
UPDATE links SET payment_count = 1 WHERE used;

-- +goose Down
ALTER TABLE links DROP COLUMN payment_count;
ALTER TABLE links DROP COLUMN payment_limit;
