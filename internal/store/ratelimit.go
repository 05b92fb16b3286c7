package store

import (
	"context"
	"time"
)

// RateLimiter keeps token buckets in the database, so that every process
// serving one database counts against the same limits (the checkout's
// attempt limits). It is optional: a store that has it is used by every
// replica at once (PostgreSQL); one that has not (SQLite, whose file one
// process owns) leaves the buckets in that process's memory.
//
// A bucket holds at most Burst tokens and gains one every Refill; a bucket
// never taken from, or full again, is full. The caller's now is the clock
// (so that it can be injected); a now earlier than a bucket's last take
// counts as no time passed. Buckets are independent: a call on several is
// one round trip, not one transaction of all or nothing.
type RateLimiter interface {
	// RateAdmit takes one token at now from each bucket of take if every
	// bucket of take and of check has one, and returns 0; otherwise it
	// takes nothing and returns how long from now until they all will have
	// one. All or nothing, atomically: concurrent callers never both pass
	// on the last token of a bucket of take. (A payment attempt takes its
	// address's attempt and reserves its decline, and checks its link's
	// declines.) A bucket in both lists is taken.
	RateAdmit(ctx context.Context, now time.Time, take, check []RateBucket) (time.Duration, error)
	// RateRefund gives one token back to each bucket (a reserved decline
	// whose payment was not declined); a full bucket stays full.
	RateRefund(ctx context.Context, now time.Time, buckets ...RateBucket) error
	// RateTake takes one token at now from each bucket that has one, each
	// atomically (concurrent callers never take the same token), and
	// returns how long from now until the ones that had none will have one:
	// 0 when every bucket gave a token. An empty bucket stays as it is.
	RateTake(ctx context.Context, now time.Time, buckets ...RateBucket) (time.Duration, error)
}

// RateBucket names a token bucket and gives its size and refill rate.
// Callers sharing a bucket must give it the same Burst and Refill.
type RateBucket struct {
	// Key names the bucket, e.g. "ip-decline:203.0.113.9".
	Key string
	// Burst is the number of tokens of a full bucket, at least 1.
	Burst int
	// Refill is the time it takes to gain one token, at least 1µs.
	Refill time.Duration
}
