package storetest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
)

// idemRecord returns a record for key begun at sec, locked for 60 s and
// expiring a day later.
func idemRecord(a *paylinks.Account, key string, hash string, sec int) *paylinks.IdempotencyRecord {
	return &paylinks.IdempotencyRecord{AccountID: a.ID, Key: key, RequestHash: []byte(hash),
		LockedUntil: ptr(at(sec + 60)), CreatedAt: at(sec), ExpiresAt: at(sec + 86400)}
}

func testIdempotency(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	begin := func(what string, rec *paylinks.IdempotencyRecord, now int) *paylinks.IdempotencyRecord {
		t.Helper()
		old, err := f.s.BeginIdempotency(ctx, rec, at(now))
		if err != nil {
			t.Fatalf("%s: BeginIdempotency: %v", what, err)
		}
		return old
	}

	first := idemRecord(a, "k1", "hash-1", 0)
	if old := begin("a new key", first, 0); old != nil {
		t.Fatalf("a new key: got a live record %+v, want none", old)
	}
	// While it runs, the same key is live and locked.
	old := begin("the key while it runs", idemRecord(a, "k1", "hash-2", 1), 1)
	if old == nil || old.Done() || !bytes.Equal(old.RequestHash, []byte("hash-1")) {
		t.Fatalf("the key while it runs: got %+v, want the locked first record", old)
	}
	// Another account, another mode: other keys.
	if old := begin("another account", idemRecord(b, "k1", "hash-1", 1), 1); old != nil {
		t.Errorf("another account's key: got a live record, want none")
	}
	live := idemRecord(a, "k1", "hash-1", 1)
	live.Livemode = true
	if old := begin("another mode", live, 1); old != nil {
		t.Errorf("another mode's key: got a live record, want none")
	}

	first.ResponseStatus, first.ResponseBody = 201, []byte(`{"id":"x"}`)
	first.ResponseHeader = map[string]string{"Content-Type": "application/json"}
	wantErr(t, "FinishIdempotency", f.s.FinishIdempotency(ctx, first), nil)
	wantErr(t, "FinishIdempotency again", f.s.FinishIdempotency(ctx, first), paylinks.ErrNotFound)
	old = begin("a finished key", idemRecord(a, "k1", "hash-1", 2), 2)
	want := *first
	want.LockedUntil = nil
	check(t, "the finished record", old, &want)

	// Expired: replaced.
	if old := begin("an expired key", idemRecord(a, "k1", "hash-3", 86400), 86400); old != nil {
		t.Errorf("an expired key: got a live record, want it replaced")
	}

	// A lock that lapsed without a response is taken over; the first
	// request can then neither finish nor release it.
	dead := idemRecord(a, "k2", "hash-1", 0)
	begin("k2", dead, 0)
	taker := idemRecord(a, "k2", "hash-1", 61)
	if old := begin("a lapsed lock", taker, 61); old != nil {
		t.Fatalf("a lapsed lock: got a live record, want it taken over")
	}
	dead.ResponseStatus = 500
	wantErr(t, "FinishIdempotency by the lapsed request", f.s.FinishIdempotency(ctx, dead), paylinks.ErrNotFound)
	wantErr(t, "ReleaseIdempotency by the lapsed request", f.s.ReleaseIdempotency(ctx, dead), nil)
	if old := begin("k2 after a stranger's release", idemRecord(a, "k2", "hash-1", 62), 62); old == nil {
		t.Errorf("k2 after the lapsed request's release: got no live record, want the taker's")
	}
	// Released: the key is free again.
	wantErr(t, "ReleaseIdempotency", f.s.ReleaseIdempotency(ctx, taker), nil)
	if old := begin("a released key", idemRecord(a, "k2", "hash-9", 63), 63); old != nil {
		t.Errorf("a released key: got a live record, want none")
	}

	n, err := f.s.DeleteExpiredIdempotency(ctx, at(86400+63))
	wantErr(t, "DeleteExpiredIdempotency", err, nil)
	if n != 3 {
		t.Errorf("DeleteExpiredIdempotency: deleted %d, want 3", n)
	}
	n, err = f.s.DeleteExpiredIdempotency(ctx, at(86400+63))
	if err != nil || n != 0 {
		t.Errorf("DeleteExpiredIdempotency again: got %d, %v; want 0, nil", n, err)
	}
}

// testIdempotencyConcurrent races callers for one key: exactly one owns it.
func testIdempotencyConcurrent(t *testing.T, f *fixture) {
	a := f.account(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	owners := 0
	for range 16 {
		wg.Go(func() {
			old, err := f.s.BeginIdempotency(t.Context(), idemRecord(a, "race", "h", 0), at(0))
			if err != nil {
				t.Errorf("BeginIdempotency: %v", err)
				return
			}
			if old == nil {
				mu.Lock()
				owners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if owners != 1 {
		t.Errorf("concurrent BeginIdempotency: %d owners, want 1", owners)
	}
}
