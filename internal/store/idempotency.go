package store

import (
	"context"
	"errors"
	"time"

	"github.com/paylinks/paylinks"
)

// ErrKeyLost is returned by a create given an idempotency record that no
// longer holds its key (its lock ran out and another request took it):
// nothing is written.
var ErrKeyLost = errors.New("the Idempotency-Key record no longer holds its key")

// IdempotencyStore keeps the records of Idempotency-Key requests, shared by
// every process on the database. A record is unique on (account, mode, key).
type IdempotencyStore interface {
	// BeginIdempotency stores rec (locked, without a response) and returns
	// nil, nil when the account and mode have no live record with the key
	// at now. A live record is one that has not expired (expires_at > now)
	// and is either finished or still locked (locked_until > now); a record
	// that is not live is replaced by rec. Otherwise nothing is written and
	// the live record is returned, for the caller to replay or refuse.
	//
	// When rec takes over a key whose record was locked by the same request
	// (the same hash) that died after creating an object, rec.ObjectID is
	// set to that object.
	BeginIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord, now time.Time) (*paylinks.IdempotencyRecord, error)
	// FinishIdempotency stores the response of rec (ResponseStatus,
	// ResponseHeader, ResponseBody), unlocking it. The record must still be
	// the one BeginIdempotency stored (same request hash and LockedUntil):
	// ErrNotFound otherwise.
	FinishIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) error
	// ReleaseIdempotency deletes rec if it is still the one
	// BeginIdempotency stored, so that the key may be used again.
	ReleaseIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) error
	// DeleteExpiredIdempotency deletes the records that expired at or
	// before now and returns how many.
	DeleteExpiredIdempotency(ctx context.Context, now time.Time) (int, error)
}
