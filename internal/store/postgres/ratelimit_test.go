package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// rt is the rate tests' clock: whole seconds, exact at microseconds.
var rt = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func take(tb testing.TB, db *postgres.DB, now time.Time, bs ...store.RateBucket) time.Duration {
	tb.Helper()
	w, err := db.RateTake(context.Background(), now, bs...)
	if err != nil {
		tb.Fatalf("RateTake: %v", err)
	}
	return w
}

func peek(tb testing.TB, db *postgres.DB, now time.Time, bs ...store.RateBucket) time.Duration {
	tb.Helper()
	w, err := db.RateAdmit(context.Background(), now, nil, bs)
	if err != nil {
		tb.Fatalf("RateAdmit (check only): %v", err)
	}
	return w
}

// TestRateBucket follows one bucket of 3, refilled one a minute, through
// its burst, its refill and a long rest, each step checked by both methods.
func TestRateBucket(t *testing.T) {
	db := postgres.OpenTest(t)
	b := store.RateBucket{Key: "ip-decline:203.0.113.9", Burst: 3, Refill: time.Minute}
	steps := []struct {
		at       time.Duration // after rt
		take     bool          // else peek
		wantWait time.Duration
	}{
		{0, false, 0}, // never taken: full
		{0, true, 0},
		{0, true, 0},
		{0, true, 0},
		{0, false, time.Minute},
		{0, true, time.Minute}, // empty: nothing taken
		{30 * time.Second, false, 30 * time.Second},
		{30 * time.Second, true, 30 * time.Second},
		{time.Minute, true, 0}, // one token came back
		{time.Minute, true, time.Minute},
		{90 * time.Second, false, 30 * time.Second},
		// Refilled for an hour: full again, never more than the burst.
		{time.Hour, true, 0},
		{time.Hour, true, 0},
		{time.Hour, true, 0},
		{time.Hour, true, time.Minute},
		{time.Hour + 1500*time.Microsecond, false, time.Minute - 1500*time.Microsecond},
	}
	for i, s := range steps {
		var got time.Duration
		if s.take {
			got = take(t, db, rt.Add(s.at), b)
		} else {
			got = peek(t, db, rt.Add(s.at), b)
		}
		if got != s.wantWait {
			t.Errorf("step %d (take %v at +%v): wait %v, want %v", i, s.take, s.at, got, s.wantWait)
		}
	}
}

// TestRateBuckets checks calls on several buckets: each bucket for itself,
// and the wait of the one that is furthest from a token.
func TestRateBuckets(t *testing.T) {
	db := postgres.OpenTest(t)
	one := store.RateBucket{Key: "one", Burst: 1, Refill: time.Minute}
	two := store.RateBucket{Key: "two", Burst: 2, Refill: 15 * time.Second}
	fresh := store.RateBucket{Key: "fresh", Burst: 1, Refill: time.Hour}
	if w := take(t, db, rt, one, two); w != 0 {
		t.Errorf("first take of one and two: wait %v, want 0", w)
	}
	// one is empty, two still has a token: two gives it, one waits.
	if w := take(t, db, rt, two, one); w != time.Minute {
		t.Errorf("second take: wait %v, want 1m (one's)", w)
	}
	if w := peek(t, db, rt, two); w != 15*time.Second {
		t.Errorf("two after two takes: wait %v, want 15s", w)
	}
	if w := peek(t, db, rt.Add(20*time.Second), one, two, fresh); w != 40*time.Second {
		t.Errorf("peek of one, two, and a bucket never taken: wait %v, want 40s (one's)", w)
	}
	if w := peek(t, db, rt, fresh); w != 0 {
		t.Errorf("a bucket never taken: wait %v, want 0", w)
	}
	for _, bad := range []store.RateBucket{{Key: "zero", Burst: 0, Refill: time.Second}, {Key: "instant", Burst: 1}} {
		if _, err := db.RateTake(context.Background(), rt, bad); err == nil {
			t.Errorf("RateTake of %+v: no error", bad)
		}
		if _, err := db.RateAdmit(context.Background(), rt, nil, []store.RateBucket{bad}); err == nil {
			t.Errorf("RateAdmit of %+v: no error", bad)
		}
	}
}

// TestRateTakeConcurrent takes from a bucket of 10 in 50 goroutines at
// once, as 50 requests on several replicas would: exactly 10 get a token.
// Half of them take a second bucket too, listed in either order, which must
// not deadlock.
func TestRateTakeConcurrent(t *testing.T) {
	db := postgres.OpenTest(t)
	ten := store.RateBucket{Key: "link-decline:ten", Burst: 10, Refill: time.Hour}
	other := store.RateBucket{Key: "ip-decline:other", Burst: 50, Refill: time.Hour}
	const n = 50
	waits := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		bs := []store.RateBucket{ten}
		switch i % 4 {
		case 1:
			bs = []store.RateBucket{ten, other}
		case 3:
			bs = []store.RateBucket{other, ten}
		}
		wg.Go(func() {
			<-start
			waits[i], errs[i] = db.RateTake(context.Background(), rt, bs...)
		})
	}
	close(start)
	wg.Wait()
	took := 0
	for i, w := range waits {
		if errs[i] != nil {
			t.Fatalf("take %d: %v", i, errs[i])
		}
		if w == 0 {
			took++
		} else if w != time.Hour {
			t.Errorf("take %d: wait %v, want 0 or 1h", i, w)
		}
	}
	if took != 10 {
		t.Errorf("%d of %d concurrent takes from a bucket of 10 got a token, want 10", took, n)
	}
	if w := peek(t, db, rt, other); w != 0 {
		t.Errorf("the bucket of 50 after 25 takes: wait %v, want 0", w)
	}
}

// TestRateBucketsExpire checks that full buckets are deleted, a bounded
// number per take, and that buckets that are not full stay.
func TestRateBucketsExpire(t *testing.T) {
	db := postgres.OpenTest(t)
	ctx := context.Background()
	count := func() int {
		t.Helper()
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM rate_buckets`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const short = 40
	for i := range short {
		take(t, db, rt, store.RateBucket{Key: fmt.Sprintf("ip-attempt:192.0.2.%d", i), Burst: 2, Refill: time.Second})
	}
	long := store.RateBucket{Key: "link-decline:long", Burst: 2, Refill: time.Hour}
	take(t, db, rt, long)
	if n := count(); n != short+1 {
		t.Fatalf("after %d takes of as many buckets: %d rows", short+1, n)
	}
	// At +1s the short buckets are full; one take deletes at most 16.
	later := rt.Add(time.Second)
	take(t, db, later, store.RateBucket{Key: "ip-attempt:192.0.2.200", Burst: 2, Refill: time.Second})
	if n, want := count(), short+2-16; n != want {
		t.Errorf("after one take at +1s: %d rows, want %d (16 full buckets deleted)", n, want)
	}
	for range 4 {
		take(t, db, later, store.RateBucket{Key: "ip-attempt:192.0.2.200", Burst: 2, Refill: time.Second})
	}
	// Left: the two buckets that are not full at +1s, long and
	// 192.0.2.200 (emptied at +1s).
	if n := count(); n != 2 {
		t.Errorf("after 5 takes at +1s: %d rows, want 2 (the buckets that are not full)", n)
	}
	if w := peek(t, db, later, long); w != 0 {
		t.Errorf("the bucket of an hour after one take of 2: wait %v, want 0", w)
	}
	if w := take(t, db, later, long); w != 0 {
		t.Errorf("second take of the bucket of an hour: wait %v, want 0", w)
	}
	if w := take(t, db, later, long); w != time.Hour-time.Second {
		t.Errorf("third take of the bucket of an hour at +1s: wait %v, want 59m59s", w)
	}
}

// The buckets are an unlogged table: a take writes no WAL and waits for no
// flush (migration 00005).
func TestRateBucketsUnlogged(t *testing.T) {
	dsn := postgres.TestDSN(t)
	db, err := postgres.Open(context.Background(), dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var persistence string
	if err := conn.QueryRow(context.Background(),
		`SELECT relpersistence::text FROM pg_class WHERE oid = 'rate_buckets'::regclass`).Scan(&persistence); err != nil {
		t.Fatal(err)
	}
	if persistence != "u" {
		t.Errorf("rate_buckets persistence %q, want u (unlogged)", persistence)
	}
}

// TestRateAdmit checks that an admission is all or nothing: it takes from
// the buckets of take only when those and the buckets of check all have a
// token, and a refund gives one back, never past full.
func TestRateAdmit(t *testing.T) {
	db := postgres.OpenTest(t)
	ctx := context.Background()
	attempt := store.RateBucket{Key: "ip-attempt:a", Burst: 5, Refill: time.Second}
	decline := store.RateBucket{Key: "ip-decline:a", Burst: 1, Refill: time.Minute}
	link := store.RateBucket{Key: "link-decline:l", Burst: 1, Refill: time.Hour}
	admit := func(now time.Time, take, check []store.RateBucket) time.Duration {
		t.Helper()
		w, err := db.RateAdmit(ctx, now, take, check)
		if err != nil {
			t.Fatalf("RateAdmit: %v", err)
		}
		return w
	}
	takeAD, checkL := []store.RateBucket{attempt, decline}, []store.RateBucket{link}
	if w := admit(rt, takeAD, checkL); w != 0 {
		t.Fatalf("first admission: wait %v, want 0", w)
	}
	// The decline is reserved: the next admission waits for it, and takes
	// no attempt token meanwhile.
	if w := admit(rt, takeAD, checkL); w != time.Minute {
		t.Errorf("second admission: wait %v, want 1m (the reserved decline)", w)
	}
	if w := peek(t, db, rt, attempt); w != 0 {
		t.Errorf("attempts after a refused admission: wait %v, want 0", w)
	}
	for range 4 { // 5 - the one admitted: the refused one took nothing
		if w := take(t, db, rt, attempt); w != 0 {
			t.Fatalf("attempt token: wait %v, want 0", w)
		}
	}
	if w := peek(t, db, rt, attempt); w != time.Second {
		t.Errorf("attempts after 5 takes: wait %v, want 1s", w)
	}
	// The payment was not declined: the decline comes back.
	if err := db.RateRefund(ctx, rt, decline); err != nil {
		t.Fatal(err)
	}
	if w := peek(t, db, rt, decline); w != 0 {
		t.Errorf("decline after the refund: wait %v, want 0", w)
	}
	// A refund of a full bucket leaves it full (burst 1: one take empties it).
	if err := db.RateRefund(ctx, rt, decline, link); err != nil {
		t.Fatal(err)
	}
	if w := take(t, db, rt, decline); w != 0 {
		t.Fatal("take after refunds of a full bucket: no token")
	}
	if w := peek(t, db, rt, decline); w != time.Minute {
		t.Errorf("a full bucket refunded then taken once: wait %v, want 1m (never more than the burst)", w)
	}
	// A checked bucket that is empty refuses and is not taken from.
	if w := take(t, db, rt, link); w != 0 {
		t.Fatal("link bucket: no token")
	}
	fresh := store.RateBucket{Key: "ip-attempt:b", Burst: 1, Refill: time.Second}
	if w := admit(rt, []store.RateBucket{fresh}, checkL); w != time.Hour {
		t.Errorf("admission with an empty checked bucket: wait %v, want 1h", w)
	}
	if w := peek(t, db, rt, fresh); w != 0 {
		t.Errorf("the take bucket of a refused admission: wait %v, want 0 (nothing taken)", w)
	}
}

// TestRateAdmitConcurrent admits 40 attempts at once against a reserve of
// 5: exactly 5 pass, as 40 requests on several replicas would.
func TestRateAdmitConcurrent(t *testing.T) {
	db := postgres.OpenTest(t)
	decline := store.RateBucket{Key: "ip-decline:c", Burst: 5, Refill: time.Hour}
	attempt := store.RateBucket{Key: "ip-attempt:c", Burst: 100, Refill: time.Hour}
	link := store.RateBucket{Key: "link-decline:c", Burst: 100, Refill: time.Hour}
	const n = 40
	waits, errs := make([]time.Duration, n), make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		take := []store.RateBucket{attempt, decline}
		if i%2 == 1 {
			take = []store.RateBucket{decline, attempt} // either order: no deadlock
		}
		wg.Go(func() {
			<-start
			waits[i], errs[i] = db.RateAdmit(context.Background(), rt, take, []store.RateBucket{link})
		})
	}
	close(start)
	wg.Wait()
	admitted := 0
	for i, w := range waits {
		if errs[i] != nil {
			t.Fatalf("admission %d: %v", i, errs[i])
		}
		if w == 0 {
			admitted++
		}
	}
	if admitted != 5 {
		t.Errorf("%d of %d concurrent admissions passed a reserve of 5, want 5", admitted, n)
	}
	if w := peek(t, db, rt, attempt); w != 0 {
		t.Errorf("attempts: wait %v, want 0", w)
	}
}
