package sqlite

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

// The connection mutexes are replaced (mutex.go) in this build; once
// SQLite is initialised and connections are open, configuring again is
// refused without shutting SQLite down under them.
func TestMutexesInstalled(t *testing.T) {
	db := openTestDB(t)
	if err := installMutexes(); err != nil {
		t.Fatalf("connection mutexes not replaced: %v", err)
	}
	if err := doInstallMutexes(); err == nil || !strings.Contains(err.Error(), "initialised") {
		t.Errorf("configuring with connections open: got %v, want a refusal", err)
	}
	if got := countAccounts(t, db); got != 0 {
		t.Errorf("accounts: %d, want 0 (the database still answers)", got)
	}
}

// With no-op connection mutexes, many goroutines reading through the pool,
// some of them cancelled mid-query (the driver interrupts the statement from
// another goroutine), while others write, see every write and nothing torn;
// under -race, a connection used by two goroutines at once is reported.
func TestConcurrentUseWithoutConnectionMutexes(t *testing.T) {
	db := openTestDB(t)
	a := &paylinks.Account{ID: paylinks.ID{7}, Name: "mutex", CreatedAt: time.Now()}
	ctx := context.Background()
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter, readers = 4, 50, 12
	var created atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				l, ev := benchLink(t, a, int64(w*perWriter+i))
				if err := db.CreateLink(ctx, l, ev, nil); err != nil {
					t.Errorf("CreateLink: %v", err)
					return
				}
				created.Add(1)
			}
		})
	}
	var reads, cancelled atomic.Int64
	var rwg sync.WaitGroup
	for range readers {
		rwg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rctx, cancel := context.WithCancel(ctx)
				if rand.IntN(4) == 0 {
					go func() { time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond); cancel() }()
				}
				before := created.Load()
				links, total, err := db.ListLinks(rctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 50})
				cancel()
				switch {
				case errors.Is(err, context.Canceled):
					cancelled.Add(1)
					continue
				case err != nil:
					t.Errorf("ListLinks: %v", err)
					return
				}
				if int64(total) < before || len(links) != min(total, 50) {
					t.Errorf("ListLinks: %d links of %d, with %d acknowledged before", len(links), total, before)
					return
				}
				for _, l := range links {
					if l.AccountID != a.ID || l.Title != "Bench" || l.Amount != 10000 {
						t.Errorf("torn link: %+v", l)
						return
					}
				}
				reads.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	_, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 1})
	if err != nil || total != writers*perWriter {
		t.Fatalf("total after the writes: %d, %v; want %d", total, err, writers*perWriter)
	}
	t.Logf("%d reads, %d cancelled", reads.Load(), cancelled.Load())
	if reads.Load() == 0 {
		t.Error("no read completed")
	}
}
