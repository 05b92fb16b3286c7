-- The charge lifecycle (issue #13): authorize and capture, reverse, expire,
-- refunds. A capture or reverse is recorded on the charge (pending_op,
-- pending_op_id: the processor's idempotency key) before the processor is
-- asked, and cleared in the transaction that records its outcome; the
-- reconciler of every replica settles one a crash left behind
-- (op_lease_until). A refund is a row written pending, in the transaction
-- that adds its amount to the charge's refunded_amount only while that
-- stays within captured_amount (a conditional UPDATE, which locks the row),
-- so concurrent refunds never exceed the captured amount.

-- +goose Up
-- A link whose payments are authorized only (captured by the merchant).
ALTER TABLE links ADD COLUMN capture_manual boolean NOT NULL DEFAULT false;
ALTER TABLE charges
    ADD COLUMN authorized_amount bigint NOT NULL DEFAULT 0,
    ADD COLUMN captured_amount   bigint NOT NULL DEFAULT 0,
    ADD COLUMN expires_at        timestamptz,
    ADD COLUMN reversed_at       timestamptz,
    ADD COLUMN expired_at        timestamptz,
    ADD COLUMN pending_op        text CHECK (pending_op IN ('capture', 'reverse')),
    ADD COLUMN pending_op_id     uuid,
    ADD COLUMN pending_op_amount bigint NOT NULL DEFAULT 0,
    ADD COLUMN pending_op_at     timestamptz,
    ADD COLUMN op_lease_until    timestamptz;
UPDATE charges SET authorized_amount = amount WHERE status IN ('successful', 'pending');
UPDATE charges SET captured_amount = amount WHERE status = 'successful';
UPDATE charges SET expires_at = created_at + interval '7 days' WHERE status = 'pending';
CREATE INDEX charges_authorized_expiry_idx ON charges (expires_at) WHERE status = 'pending';
CREATE INDEX charges_pending_op_idx ON charges (pending_op_at) WHERE pending_op IS NOT NULL;

-- GET /search answers its filters from indexes by account, mode and
-- created_at. The used and multiple filters, and the status of a charge
-- that is not successful, read partial indexes of the rows that have them
-- (a link created unused and single-use, or a successful charge, is
-- written to none of them). No index of links by amount: it would cost
-- every link created (see the SQLite migration 00012).
CREATE INDEX links_search_used_idx ON links (account_id, livemode, created_at, id) WHERE used AND deleted_at IS NULL;
CREATE INDEX links_search_multiple_idx ON links (account_id, livemode, created_at, id) WHERE multiple AND deleted_at IS NULL;
CREATE INDEX charges_search_status_idx ON charges (account_id, livemode, status, created_at, id) WHERE status <> 'successful';
CREATE INDEX charges_search_last4_idx ON charges (account_id, livemode, card_last4, created_at, id);

CREATE TABLE refunds (
    id              uuid        NOT NULL PRIMARY KEY,
    account_id      uuid        NOT NULL REFERENCES accounts (id),
    livemode        boolean     NOT NULL,
    charge_id       uuid        NOT NULL REFERENCES charges (id),
    amount          bigint      NOT NULL CHECK (amount > 0),
    currency        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'closed', 'failed')),
    voided          boolean     NOT NULL DEFAULT false,
    failure_code    text        NOT NULL DEFAULT '',
    failure_message text        NOT NULL DEFAULT '',
    metadata        jsonb,
    transaction_id  uuid,
    created_at      timestamptz NOT NULL,
    lease_until     timestamptz
);
CREATE INDEX refunds_list_idx ON refunds (account_id, livemode, created_at, id);
CREATE INDEX refunds_charge_idx ON refunds (charge_id, created_at, id);
CREATE INDEX refunds_pending_idx ON refunds (created_at, id) WHERE status = 'pending';

-- +goose Down
DROP TABLE refunds;
DROP INDEX charges_search_last4_idx;
DROP INDEX charges_search_status_idx;
DROP INDEX links_search_multiple_idx;
DROP INDEX links_search_used_idx;
ALTER TABLE links DROP COLUMN capture_manual;
DROP INDEX charges_pending_op_idx;
DROP INDEX charges_authorized_expiry_idx;
ALTER TABLE charges
    DROP COLUMN op_lease_until,
    DROP COLUMN pending_op_at,
    DROP COLUMN pending_op_amount,
    DROP COLUMN pending_op_id,
    DROP COLUMN pending_op,
    DROP COLUMN expired_at,
    DROP COLUMN reversed_at,
    DROP COLUMN expires_at,
    DROP COLUMN captured_amount,
    DROP COLUMN authorized_amount;
