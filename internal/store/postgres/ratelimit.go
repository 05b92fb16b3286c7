package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks/internal/store"
)

var _ store.RateLimiter = (*DB)(nil)

// A bucket is a row of rate_buckets holding full_at, the time it is full
// again (migrations/00004_rate_buckets.sql); no row is a full bucket. At now
// it has a token when full_at <= now + (burst-1)×refill, and taking one
// moves full_at to max(full_at, now) + refill.
//
// The clock is the caller's now, not the database's: the checkout's clock is
// injected (tests drive refills without sleeping), and its in-memory buckets
// use the same one. Replicas' clocks differ by milliseconds, which moves a
// bucket by that much of a refill (a minute, for declines per address);
// max(full_at, now) keeps a replica whose clock is behind from giving back
// time another one has already counted.

// rateSweep bounds the full buckets a take deletes: at most this many rows,
// found by the index on full_at, so every take does bounded work and the
// table holds about the buckets that are not full.
const rateSweep = 16

// takeSQL takes a token from the bucket $1 when it has one at $2: its
// full_at is then at most $4 (= $2 + (burst-1)×refill). It always writes the
// row, so that RETURNING says what this statement decided; the row lock
// makes concurrent takes of one bucket run one after the other.
const takeSQL = `INSERT INTO rate_buckets AS b (key, full_at, took)
VALUES ($1, $2::timestamptz + $3::bigint * interval '1 microsecond', true)
ON CONFLICT (key) DO UPDATE SET
    took = b.full_at <= $4,
    full_at = CASE WHEN b.full_at <= $4
        THEN greatest(b.full_at, $2::timestamptz) + $3::bigint * interval '1 microsecond'
        ELSE b.full_at END
RETURNING full_at, took`

// sweepSQL deletes up to rateSweep buckets that are full at $1, skipping
// rows another take holds.
var sweepSQL = fmt.Sprintf(`DELETE FROM rate_buckets WHERE key IN (
    SELECT key FROM rate_buckets WHERE full_at <= $1 LIMIT %d FOR UPDATE SKIP LOCKED)`, rateSweep)

// RateWait returns how long from now until every one of the buckets has a
// token, reading them in one query.
func (db *DB) RateWait(ctx context.Context, now time.Time, buckets ...store.RateBucket) (_ time.Duration, err error) {
	defer wrap(&err, "RateWait")
	if err := checkBuckets(buckets); err != nil {
		return 0, err
	}
	now = ts(now)
	keys := make([]string, len(buckets))
	for i, b := range buckets {
		keys[i] = b.Key
	}
	rows, err := db.pool.Query(ctx, `SELECT key, full_at FROM rate_buckets WHERE key = ANY($1)`, keys)
	if err != nil {
		return 0, err
	}
	fullAt := make(map[string]time.Time, len(buckets))
	for rows.Next() {
		var k string
		var t time.Time
		if err := rows.Scan(&k, &t); err != nil {
			rows.Close()
			return 0, err
		}
		fullAt[k] = t
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var wait time.Duration
	for _, b := range buckets {
		if t, ok := fullAt[b.Key]; ok {
			wait = max(wait, bucketWait(b, t, now))
		}
	}
	return wait, nil
}

// RateTake takes a token from each bucket that has one, in one round trip:
// one statement per bucket, in key order (concurrent takes of several
// buckets lock their rows in the same order), then a bounded sweep of full
// buckets. The batch is one implicit transaction.
func (db *DB) RateTake(ctx context.Context, now time.Time, buckets ...store.RateBucket) (_ time.Duration, err error) {
	defer wrap(&err, "RateTake")
	if err := checkBuckets(buckets); err != nil {
		return 0, err
	}
	now = ts(now)
	sorted := slices.SortedFunc(slices.Values(buckets), func(a, b store.RateBucket) int { return strings.Compare(a.Key, b.Key) })
	batch := &pgx.Batch{}
	for _, b := range sorted {
		refill := b.Refill.Truncate(time.Microsecond)
		batch.Queue(takeSQL, b.Key, now, refill.Microseconds(), now.Add(time.Duration(b.Burst-1)*refill))
	}
	batch.Queue(sweepSQL, now)
	br := db.pool.SendBatch(ctx, batch)
	defer br.Close()
	var wait time.Duration
	for _, b := range sorted {
		var fullAt time.Time
		var took bool
		if err := br.QueryRow().Scan(&fullAt, &took); err != nil {
			return 0, err
		}
		if !took {
			wait = max(wait, bucketWait(b, fullAt, now))
		}
	}
	if _, err := br.Exec(); err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	return wait, br.Close()
}

// bucketWait returns how long from now until the bucket full at fullAt has
// a token: until it is at most burst-1 refills from full.
func bucketWait(b store.RateBucket, fullAt, now time.Time) time.Duration {
	refill := b.Refill.Truncate(time.Microsecond)
	return max(0, fullAt.Sub(now)-time.Duration(b.Burst-1)*refill)
}

func checkBuckets(buckets []store.RateBucket) error {
	for _, b := range buckets {
		if b.Burst < 1 || b.Refill < time.Microsecond {
			return fmt.Errorf("bucket %q: burst %d and refill %v; want at least 1 and 1µs", b.Key, b.Burst, b.Refill)
		}
	}
	return nil
}
