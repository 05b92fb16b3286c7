-- The token buckets need no durability: after a crash, every bucket is full
-- again, which is what an idle minute does too. UNLOGGED spares each take a
-- WAL record and the commit's flush (measured: a payment attempt makes two
-- or three takes, and with a logged table the pay benchmark on PostgreSQL
-- fell from 835–894 to 611–637 payments/s). Unlogged tables are not copied
-- to streaming standbys; a standby takes no payments.

-- +goose Up
ALTER TABLE rate_buckets SET UNLOGGED;

-- +goose Down
ALTER TABLE rate_buckets SET LOGGED;
