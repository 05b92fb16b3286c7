package postgres

import (
	"context"
	"fmt"
	"maps"
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

// RateAdmit takes a token from each bucket of take when every bucket of
// take and check has one, in one round trip: a batch is one implicit
// transaction, whose first statements make sure each bucket has a row (a
// missing row is a full bucket) and lock the rows in key order, and whose
// next takes the tokens if every locked bucket has one. Concurrent
// admissions of a bucket wait for each other on its row, so the last token
// goes to one of them.
func (db *DB) RateAdmit(ctx context.Context, now time.Time, take, check []store.RateBucket) (_ time.Duration, err error) {
	defer wrap(&err, "RateAdmit")
	if err := checkBuckets(append(take[:len(take):len(take)], check...)); err != nil {
		return 0, err
	}
	now = ts(now)
	byKey := make(map[string]store.RateBucket, len(take)+len(check))
	for _, b := range check {
		byKey[b.Key] = b
	}
	taking := make(map[string]bool, len(take))
	for _, b := range take {
		byKey[b.Key], taking[b.Key] = b, true
	}
	keys := slices.Sorted(maps.Keys(byKey))
	if len(keys) == 0 {
		return 0, nil
	}
	limits := make([]time.Time, len(keys)) // a bucket has a token when full_at <= its limit
	var takeKeys []string
	var takeRefills []int64
	for i, k := range keys {
		b := byKey[k]
		refill := b.Refill.Truncate(time.Microsecond)
		limits[i] = now.Add(time.Duration(b.Burst-1) * refill)
		if taking[k] {
			takeKeys, takeRefills = append(takeKeys, k), append(takeRefills, refill.Microseconds())
		}
	}
	batch := &pgx.Batch{}
	batch.Queue(rateEnsureSQL, keys)
	batch.Queue(rateLockSQL, keys)
	batch.Queue(rateAdmitSQL, takeKeys, takeRefills, keys, limits, now)
	batch.Queue(`SELECT key, full_at FROM rate_buckets WHERE key = ANY($1)`, keys)
	batch.Queue(sweepSQL, now)
	br := db.pool.SendBatch(ctx, batch)
	defer br.Close()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return 0, err
		}
	}
	tag, err := br.Exec()
	if err != nil {
		return 0, err
	}
	rows, err := br.Query()
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	for rows.Next() {
		var k string
		var fullAt time.Time
		if err := rows.Scan(&k, &fullAt); err != nil {
			rows.Close()
			return 0, err
		}
		wait = max(wait, bucketWait(byKey[k], fullAt, now))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if _, err := br.Exec(); err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	if err := br.Close(); err != nil {
		return 0, err
	}
	if len(takeKeys) > 0 && tag.RowsAffected() == int64(len(takeKeys)) {
		return 0, nil // taken (the wait read after the take is of the next token)
	}
	return wait, nil
}

// rateEnsureSQL makes sure every bucket $1 (sorted) has a row, a new one
// full since long ago (not since now: another replica's clock may be
// behind). A key another batch is inserting waits for that one to end.
const rateEnsureSQL = `INSERT INTO rate_buckets (key, full_at, took)
SELECT k, timestamptz '1970-01-01 00:00:00Z', false FROM unnest($1::text[]) AS k ORDER BY k
ON CONFLICT (key) DO NOTHING`

// rateLockSQL locks the rows of the buckets $1 in key order until the batch
// commits (without writing them).
const rateLockSQL = `SELECT 1 FROM rate_buckets WHERE key = ANY($1) ORDER BY key FOR UPDATE`

// rateAdmitSQL takes a token from each bucket $1 (refilled every $2 µs) if
// every bucket $3 has one at $5: its full_at is at most its limit $4. The
// condition is the same for every row, so it takes from all or from none.
const rateAdmitSQL = `UPDATE rate_buckets AS b SET took = true,
    full_at = greatest(b.full_at, $5::timestamptz) + t.refill * interval '1 microsecond'
FROM unnest($1::text[], $2::bigint[]) AS t(key, refill)
WHERE b.key = t.key AND NOT EXISTS (
    SELECT 1 FROM rate_buckets AS c JOIN unnest($3::text[], $4::timestamptz[]) AS l(key, lim) ON c.key = l.key
    WHERE c.full_at > l.lim)`

// RateRefund gives a token back to each bucket, in one round trip: its
// full_at moves one refill earlier, but not before now (full). A bucket
// with no row is full already.
func (db *DB) RateRefund(ctx context.Context, now time.Time, buckets ...store.RateBucket) (err error) {
	defer wrap(&err, "RateRefund")
	if err := checkBuckets(buckets); err != nil {
		return err
	}
	now = ts(now)
	sorted := slices.SortedFunc(slices.Values(buckets), func(a, b store.RateBucket) int { return strings.Compare(a.Key, b.Key) })
	batch := &pgx.Batch{}
	for _, b := range sorted {
		refill := b.Refill.Truncate(time.Microsecond)
		batch.Queue(`UPDATE rate_buckets SET full_at = greatest(full_at - $3::bigint * interval '1 microsecond', $2::timestamptz)
			WHERE key = $1`, b.Key, now, refill.Microseconds())
	}
	return db.pool.SendBatch(ctx, batch).Close()
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
