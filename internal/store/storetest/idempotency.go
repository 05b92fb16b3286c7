package storetest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
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

// testIdempotencyObject: a create given the request's record writes the
// link and the record's ObjectID in one transaction; the same request
// taking over the lapsed key gets that object back, another request does
// not; and a create whose record lost its key writes nothing.
func testIdempotencyObject(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	begin := func(what string, rec *paylinks.IdempotencyRecord, now int) {
		t.Helper()
		if old, err := f.s.BeginIdempotency(ctx, rec, at(now)); err != nil || old != nil {
			t.Fatalf("%s: BeginIdempotency = %+v, %v; want the key", what, old, err)
		}
	}
	id := func(p *paylinks.ID) string {
		if p == nil {
			return "none"
		}
		return p.String()
	}

	first := idemRecord(a, "k", "hash-1", 0)
	begin("a new key", first, 0)
	if first.ObjectID != nil {
		t.Errorf("a new key: ObjectID %s, want none", id(first.ObjectID))
	}
	l := f.link(t, a, false, 0, nil)
	ev := f.event(t, a.ID, false, "link.create", l.ID, 0)
	wantErr(t, "CreateLink with the record", f.s.CreateLink(ctx, l, ev, first), nil)
	// While the lock holds, the record (with its object) is live.
	old, err := f.s.BeginIdempotency(ctx, idemRecord(a, "k", "hash-1", 1), at(1))
	if err != nil || old == nil || old.ObjectID == nil || *old.ObjectID != l.ID {
		t.Fatalf("the key while its request runs: %+v, %v; want the live record with object %s", old, err, l.ID)
	}

	// The request died before storing its response; the same request,
	// after the lock lapsed, takes the key over with the object.
	again := idemRecord(a, "k", "hash-1", 61)
	begin("the same request after the lapse", again, 61)
	if again.ObjectID == nil || *again.ObjectID != l.ID {
		t.Fatalf("the same request after the lapse: ObjectID %s, want %s", id(again.ObjectID), l.ID)
	}
	// The dead request's record no longer holds the key: its create
	// writes nothing.
	late := f.link(t, a, false, 1, nil)
	lateEv := f.event(t, a.ID, false, "link.create", late.ID, 1)
	wantErr(t, "CreateLink with a record that lost its key", f.s.CreateLink(ctx, late, lateEv, first), store.ErrKeyLost)
	_, err = f.s.GetLink(ctx, a.ID, false, late.ID)
	wantErr(t, "GetLink of the refused create", err, paylinks.ErrNotFound)
	_, err = f.s.GetEvent(ctx, a.ID, false, lateEv.ID)
	wantErr(t, "GetEvent of the refused create", err, paylinks.ErrNotFound)

	// The taker also dies; a different request that takes the key over
	// does not get the object.
	other := idemRecord(a, "k", "hash-2", 122)
	begin("another request after the lapse", other, 122)
	if other.ObjectID != nil {
		t.Errorf("another request after the lapse: ObjectID %s, want none", id(other.ObjectID))
	}

	// A charge is recorded on its record too; and, the money having
	// moved, it is written even when its record lost the key.
	cr := idemRecord(a, "c", "hash-1", 0)
	begin("key c", cr, 0)
	c := f.charge(t, a, false, 0, nil)
	wantErr(t, "CreateCharge with the record", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c, Idem: cr}), nil)
	old, err = f.s.BeginIdempotency(ctx, idemRecord(a, "c", "hash-1", 1), at(1))
	if err != nil || old == nil || old.ObjectID == nil || *old.ObjectID != c.ID {
		t.Errorf("key c while its request runs: %+v, %v; want the record with charge %s", old, err, c.ID)
	}
	begin("key c after the lapse", idemRecord(a, "c", "hash-2", 61), 61)
	c2 := f.charge(t, a, false, 1, nil)
	wantErr(t, "CreateCharge with a record that lost its key", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c2, Idem: cr}), nil)
	_, err = f.s.GetCharge(ctx, a.ID, false, c2.ID)
	wantErr(t, "GetCharge of the charge whose record lost its key", err, nil)

	// A finished request's key, once expired, is a new key: no object.
	done := idemRecord(a, "k3", "hash-1", 0)
	begin("k3", done, 0)
	l3 := f.link(t, a, false, 2, nil)
	wantErr(t, "CreateLink of k3", f.s.CreateLink(ctx, l3, nil, done), nil)
	done.ResponseStatus = 200
	wantErr(t, "FinishIdempotency of k3", f.s.FinishIdempotency(ctx, done), nil)
	fresh := idemRecord(a, "k3", "hash-1", 86400)
	begin("k3 expired", fresh, 86400)
	if fresh.ObjectID != nil {
		t.Errorf("an expired finished key: ObjectID %s, want none", id(fresh.ObjectID))
	}
}
