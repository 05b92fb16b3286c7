-- The object an Idempotency-Key request created, written in the creating
-- transaction (paylinks.IdempotencyRecord.ObjectID): a retry after a crash
-- between that write and the stored response answers with it instead of
-- creating a second one.

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN object_id uuid;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN object_id;
