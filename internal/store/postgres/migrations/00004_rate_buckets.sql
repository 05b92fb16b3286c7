-- Token buckets shared by every paylinks process on this database: the
-- checkout's attempt limits (ratelimit.go). A bucket is one timestamp,
-- full_at, the time it is full again (a generic cell rate algorithm): at
-- time t it holds burst - (full_at - t) / refill tokens, and no row means
-- a full bucket, so a row whose full_at has passed is deleted.

-- +goose Up
CREATE TABLE rate_buckets (
    key     text PRIMARY KEY,
    full_at timestamptz NOT NULL,
    -- took: whether the last take got a token (what the take returns).
    took    boolean NOT NULL
);
CREATE INDEX rate_buckets_full_at ON rate_buckets (full_at);

-- +goose Down
DROP TABLE rate_buckets;
