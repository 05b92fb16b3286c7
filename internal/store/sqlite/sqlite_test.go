package sqlite

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paylinks/paylinks"

	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/storetest"
)

// openTestDB opens a new database file in a temporary folder, closed when
// the test ends.
func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "data", "paylinks.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTestDB(t) })
}

// benchLink returns a new link of account a, created at i microseconds.
func benchLink(tb testing.TB, a *paylinks.Account, i int64) (*paylinks.Link, *paylinks.Event) {
	tb.Helper()
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	id, err := paylinks.NewID(created, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	evID, err := paylinks.NewID(created, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	l := &paylinks.Link{ID: id, AccountID: a.ID, Slug: fmt.Sprintf("bench-%d-%x", i, id[10:]), Title: "Bench",
		Amount: 10000, Currency: "THB", Active: true, CreatedAt: created, UpdatedAt: created}
	ev := &paylinks.Event{ID: evID, AccountID: a.ID, Key: "link.create", ObjectType: "link", ObjectID: id,
		Data: []byte(`{"object":"link","title":"Bench","amount":10000}`), CreatedAt: created}
	return l, ev
}

func benchDB(b *testing.B) (*DB, *paylinks.Account) {
	b.Helper()
	db := openTestDB(b)
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "bench", CreatedAt: time.Now()}
	if err := db.CreateAccount(context.Background(), a); err != nil {
		b.Fatal(err)
	}
	return db, a
}

// reportBatching reports how many writes each COMMIT (each fsync) carried.
func reportBatching(b *testing.B, db *DB, commits0, writes0 int64) {
	if c := db.w.commits.Load() - commits0; c > 0 {
		b.ReportMetric(float64(db.w.writes.Load()-writes0)/float64(c), "writes/commit")
	}
}

// cpuTime is the process's user+system CPU time so far. On a shared
// machine the CPU an operation costs moves much less than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func BenchmarkCreateLink(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		db, a := benchDB(b)
		ctx := context.Background()
		var i int64
		c0, w0, cpu0 := db.w.commits.Load(), db.w.writes.Load(), cpuTime()
		for b.Loop() {
			i++
			l, ev := benchLink(b, a, i)
			if err := db.CreateLink(ctx, l, ev, nil); err != nil {
				b.Fatal(err)
			}
		}
		reportBatching(b, db, c0, w0)
		reportCPU(b, cpu0)
	})
	b.Run("parallel", func(b *testing.B) {
		db, a := benchDB(b)
		ctx := context.Background()
		var n atomic.Int64
		c0, w0, cpu0 := db.w.commits.Load(), db.w.writes.Load(), cpuTime()
		b.SetParallelism(32) // many requests in flight, as under load
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l, ev := benchLink(b, a, n.Add(1))
				if err := db.CreateLink(ctx, l, ev, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportBatching(b, db, c0, w0)
		reportCPU(b, cpu0)
	})
}

// fillLinks writes n links of a, many at a time.
func fillLinks(b *testing.B, db *DB, a *paylinks.Account, n int) []*paylinks.Link {
	b.Helper()
	links := make([]*paylinks.Link, n)
	var wg sync.WaitGroup
	const workers = 64
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				l, ev := benchLink(b, a, int64(i))
				if err := db.CreateLink(context.Background(), l, ev, nil); err != nil {
					b.Error(err)
					return
				}
				links[i] = l
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return links
}

func BenchmarkGetLink(b *testing.B) {
	db, a := benchDB(b)
	links := fillLinks(b, db, a, 1000)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l := links[i%len(links)]
			i++
			if _, err := db.GetLink(ctx, a.ID, false, l.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetLinkManyCharges reads a link that has been paid 20000 times,
// as a flash sale's link is: its number of charges is kept on the link
// (migration 00007), so the read does not count them.
func BenchmarkGetLinkManyCharges(b *testing.B) {
	db, a := benchDB(b)
	l := fillLinks(b, db, a, 1)[0]
	ctx := context.Background()
	const n = 20000
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				id, _ := paylinks.NewID(time.Now(), rand.Reader)
				now := time.Now()
				c := &paylinks.Charge{ID: id, AccountID: a.ID, LinkID: &l.ID, Amount: 100, Currency: "THB",
					Status: paylinks.ChargeSuccessful, Capture: true, CardID: id, CreatedAt: now, PaidAt: &now,
					Card: paylinks.Card{Brand: "Visa", LastDigits: "4242", ExpirationMonth: 12, ExpirationYear: 2030}}
				if err := db.CreateCharge(ctx, store.ChargeWrite{Charge: c}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	for b.Loop() {
		got, err := db.GetLink(ctx, a.ID, false, l.ID)
		if err != nil || got.ChargeCount != n {
			b.Fatalf("GetLink: %d charges, %v; want %d", got.ChargeCount, err, n)
		}
	}
}

func BenchmarkListLinks(b *testing.B) {
	const n = 10_000
	db, a := benchDB(b)
	fillLinks(b, db, a, n)
	ctx := context.Background()
	for _, bb := range []struct {
		name string
		f    paylinks.LinkFilter
	}{
		{"offset=0", paylinks.LinkFilter{AccountID: a.ID, Limit: 20, Order: paylinks.ReverseChronological}},
		{"offset=9000", paylinks.LinkFilter{AccountID: a.ID, Limit: 20, Offset: 9000, Order: paylinks.ReverseChronological}},
		{"window", paylinks.LinkFilter{AccountID: a.ID, Limit: 20, From: time.Date(2025, 1, 1, 0, 0, 2, 0, time.UTC),
			To: time.Date(2025, 1, 1, 0, 0, 3, 0, time.UTC)}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				links, total, err := db.ListLinks(ctx, bb.f)
				if err != nil || len(links) != 20 || total < 20 {
					b.Fatalf("ListLinks: got %d links of %d, %v", len(links), total, err)
				}
			}
		})
	}
	b.Run("after", func(b *testing.B) {
		first, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 9000})
		if err != nil {
			b.Fatal(err)
		}
		f := paylinks.LinkFilter{AccountID: a.ID, Limit: 20, After: &first[len(first)-1].ID}
		for b.Loop() {
			if links, _, err := db.ListLinks(ctx, f); err != nil || len(links) != 20 {
				b.Fatalf("ListLinks: got %d links, %v", len(links), err)
			}
		}
	})
	// The v1 cursor page: 21 rows, newest first, no total, no charge
	// counts (and with them, to see what skipping them saves).
	for _, skip := range []bool{true, false} {
		b.Run(fmt.Sprintf("after-v1/skip-charge-count=%v", skip), func(b *testing.B) {
			first, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 1000,
				Order: paylinks.ReverseChronological})
			if err != nil {
				b.Fatal(err)
			}
			f := paylinks.LinkFilter{AccountID: a.ID, Limit: 21, After: &first[len(first)-1].ID,
				Order: paylinks.ReverseChronological, SkipTotal: true, SkipChargeCount: skip}
			for b.Loop() {
				if links, _, err := db.ListLinks(ctx, f); err != nil || len(links) != 21 {
					b.Fatalf("ListLinks: got %d links, %v", len(links), err)
				}
			}
		})
	}
}
