package paylinks

import "time"

// IdempotencyRecord is what is kept of a request sent with an
// Idempotency-Key: a hash of the request, and, once it has finished, the
// response to replay. While the first request runs, the record is locked
// (LockedUntil set, no response); a lock that outlived LockedUntil belongs to
// a request that died and may be taken over.
type IdempotencyRecord struct {
	AccountID   ID
	Livemode    bool
	Key         string
	RequestHash []byte
	LockedUntil *time.Time
	// ResponseStatus is 0 until the first request has finished.
	ResponseStatus int
	ResponseHeader map[string]string
	ResponseBody   []byte
	// ObjectID is the object the request created, recorded in the
	// transaction that created it. A request that died after that write
	// but before its response was stored left it: a retry of the same
	// request that takes the key over answers with that object rather than
	// creating another.
	ObjectID  *ID
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Done reports whether the first request has finished and its response is
// stored.
func (r *IdempotencyRecord) Done() bool { return r.ResponseStatus != 0 }
