-- +goose Up
-- The payer's address of a hosted-page payment, kept on its attempt and
-- its charge (Omise's charge "ip"); '' when unknown (API charges, charges
-- made before this migration).
ALTER TABLE payment_attempts ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE charges ADD COLUMN ip TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE charges DROP COLUMN ip;
ALTER TABLE payment_attempts DROP COLUMN ip;
