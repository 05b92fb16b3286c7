-- Checkout sessions are paid at most once: a payment attempt claims the
-- session (as a single-use link is claimed) before the processor is called.

-- +goose Up
ALTER TABLE checkout_sessions ADD COLUMN claim_id uuid;
ALTER TABLE checkout_sessions ADD COLUMN claim_until timestamptz;

-- +goose Down
ALTER TABLE checkout_sessions DROP COLUMN claim_until;
ALTER TABLE checkout_sessions DROP COLUMN claim_id;
