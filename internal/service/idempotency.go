package service

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/paylinks/paylinks"
)

// Idempotency-Key rules.
const (
	// IdempotencyTTL is how long a finished request's response is replayed.
	IdempotencyTTL = 24 * time.Hour
	// idempotencyLock is how long a running request holds its key; a
	// request that dies leaves the key free again after it.
	idempotencyLock = claimLease + processorTimeout
	// MaxIdempotencyKeyLen is the longest key accepted.
	MaxIdempotencyKeyLen = 255
	// idempotencyPurgeEvery is how often a process deletes expired records.
	idempotencyPurgeEvery = 10 * time.Minute
)

// IdempotentRequest is a request sent with an Idempotency-Key that
// BeginIdempotent let through: either the first of its key (Replay nil; the
// caller runs it and then calls FinishIdempotent or ReleaseIdempotent), or a
// repeat whose stored response is Replay.
type IdempotentRequest struct {
	Replay *paylinks.IdempotencyRecord
	rec    *paylinks.IdempotencyRecord
	// unsettled is set while the request has a payment attempt that is
	// neither recorded nor voided (its charge could not be written): the
	// record then keeps its key locked, storing no response, as if the
	// process had died, so that a retry after the lock takes the attempt
	// over (see CreateCharge) instead of replaying an error for a charge
	// the reconciler records.
	unsettled atomic.Bool
}

type idempotentKey struct{}

// WithIdempotent returns ctx carrying req, the Idempotency-Key request being
// run (not a replay). A create that finds it records the object it creates
// on req's record in the creating transaction; and when req took over the
// key of the same request that died after creating its object (the crash
// fell between that write and the stored response), the create answers
// with that object instead of making a second one.
func WithIdempotent(ctx context.Context, req *IdempotentRequest) context.Context {
	return context.WithValue(ctx, idempotentKey{}, req)
}

// idempotentRecord is the record of the Idempotency-Key request ctx runs
// for pr, nil when there is none, and made, the object the same request
// created before it died (nil unless it did): a create answers with that
// object rather than making another.
func idempotentRecord(ctx context.Context, pr paylinks.Principal) (rec *paylinks.IdempotencyRecord, made *paylinks.ID) {
	req, _ := ctx.Value(idempotentKey{}).(*IdempotentRequest)
	if req == nil || req.Replay != nil || req.rec == nil ||
		req.rec.AccountID != pr.AccountID || req.rec.Livemode != pr.Livemode {
		return nil, nil
	}
	return req.rec, req.rec.ObjectID
}

// setUnsettled marks the Idempotency-Key request ctx runs (if any) as
// having, or no longer having, an unsettled payment attempt.
func setUnsettled(ctx context.Context, unsettled bool) {
	if req, _ := ctx.Value(idempotentKey{}).(*IdempotentRequest); req != nil && req.Replay == nil {
		req.unsettled.Store(unsettled)
	}
}

// IdempotencyStored reports whether a response with this status is stored
// and replayed. Client errors (4xx) are not: they come from checks made
// before anything is written (validation, authentication, scopes, a missing
// object, a refused state), so the same key may be retried with a corrected
// request. Successes and server errors (5xx) are stored, because the
// operation may have run.
func IdempotencyStored(status int) bool { return status < 400 || status >= 500 }

// BeginIdempotent starts a request made with an Idempotency-Key. hash
// identifies the request (method, path, body) within the caller's account
// and mode. The same key with another hash is a KindConflict error with code
// idempotency_key_reused; while the first request still runs, code
// idempotency_key_in_use. Records expire after IdempotencyTTL.
func (s *Service) BeginIdempotent(ctx context.Context, pr paylinks.Principal, key string, hash []byte) (*IdempotentRequest, error) {
	if err := checkIdempotencyKey(key); err != nil {
		return nil, err
	}
	now := s.Now()
	s.purgeIdempotency(ctx, now)
	locked := now.Add(idempotencyLock)
	rec := &paylinks.IdempotencyRecord{AccountID: pr.AccountID, Livemode: pr.Livemode, Key: key, RequestHash: hash,
		LockedUntil: &locked, CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)}
	old, err := s.store.BeginIdempotency(ctx, rec, now)
	switch {
	case err != nil:
		return nil, fmt.Errorf("BeginIdempotent: %w", err)
	case old == nil:
		return &IdempotentRequest{rec: rec}, nil
	case !bytes.Equal(old.RequestHash, hash):
		return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "idempotency_key_reused", Param: "Idempotency-Key",
			Message: "this Idempotency-Key was already used with a different request; use a new key for a new request"}
	case !old.Done():
		return nil, idempotencyKeyInUse()
	}
	return &IdempotentRequest{Replay: old}, nil
}

func idempotencyKeyInUse() error {
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: "idempotency_key_in_use", Param: "Idempotency-Key",
		Message: "a request with this Idempotency-Key is still being processed; retry in a moment"}
}

func checkIdempotencyKey(key string) error {
	if key == "" || len(key) > MaxIdempotencyKeyLen {
		return paylinks.Invalid("invalid_idempotency_key", "Idempotency-Key", "Idempotency-Key must be 1 to %d characters", MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return paylinks.Invalid("invalid_idempotency_key", "Idempotency-Key", "Idempotency-Key must be printable ASCII")
		}
	}
	return nil
}

// FinishIdempotent stores the response of the first request of a key, to be
// replayed for IdempotencyTTL.
//
// A request that left its payment attempt unsettled stores nothing: its
// key stays locked until the lock runs out (see IdempotentRequest).
func (s *Service) FinishIdempotent(ctx context.Context, req *IdempotentRequest, status int, header map[string]string, body []byte) error {
	if req.unsettled.Load() {
		return nil
	}
	rec := *req.rec
	rec.ResponseStatus, rec.ResponseHeader, rec.ResponseBody = status, header, body
	if err := s.store.FinishIdempotency(ctx, &rec); err != nil {
		return fmt.Errorf("FinishIdempotent(%q): %w", rec.Key, err)
	}
	return nil
}

// ReleaseIdempotent forgets the first request of a key without storing its
// response, so that the key may be used again.
func (s *Service) ReleaseIdempotent(ctx context.Context, req *IdempotentRequest) error {
	if req.unsettled.Load() { // the key names the attempt: keep it
		return nil
	}
	if err := s.store.ReleaseIdempotency(ctx, req.rec); err != nil {
		return fmt.Errorf("ReleaseIdempotent(%q): %w", req.rec.Key, err)
	}
	return nil
}

// purgeIdempotency deletes expired records at most every
// idempotencyPurgeEvery; a failure is logged, never returned.
func (s *Service) purgeIdempotency(ctx context.Context, now time.Time) {
	last := s.idemPurge.Load()
	if now.UnixNano()-last < int64(idempotencyPurgeEvery) && now.UnixNano() >= last {
		return
	}
	if !s.idemPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := s.store.DeleteExpiredIdempotency(ctx, now); err != nil {
		s.log.WarnContext(ctx, "idempotency: delete expired records", "err", err)
	}
}
