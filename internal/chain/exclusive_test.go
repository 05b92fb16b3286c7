package chain_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// TestRunExclusivePostgres runs two replicas' watchers (two stores on one
// PostgreSQL database, as two processes would have): only the one holding
// the lock processes blocks; when it stops, the other takes over within
// seconds and resumes at the next block, processing none twice.
func TestRunExclusivePostgres(t *testing.T) {
	dsn := postgres.TestDSN(t)
	c := newSimChain(t)
	deposit := addrOf("0x1000000000000000000000000000000000000001")
	type replica struct {
		sink   *recordingSink
		cancel context.CancelFunc
		done   chan struct{}
	}
	var replicas [2]*replica
	for i := range replicas {
		db, err := postgres.Open(t.Context(), dsn, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		r := &replica{sink: newRecordingSink(deposit), done: make(chan struct{})}
		var ctx context.Context
		ctx, r.cancel = context.WithCancel(t.Context())
		w := chain.NewWatcher(c.node, db, r.sink, chain.WatcherConfig{Poll: 50 * time.Millisecond, Depth: 3})
		go func() {
			defer close(r.done)
			w.RunExclusive(ctx, db, 200*time.Millisecond)
		}()
		t.Cleanup(func() { r.cancel(); <-r.done })
		replicas[i] = r
	}

	// waitObserved waits until some replica observed txs, the last with
	// confirmations, and returns which one.
	waitObserved := func(txs []*types.Transaction, conf uint64) int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			for i, r := range replicas {
				if act, _, ok := r.sink.last(deposit); ok && len(act.Transfers) == len(txs) &&
					act.Transfers[len(txs)-1].TxHash == txs[len(txs)-1].Hash().Hex() && act.Transfers[len(txs)-1].Confirmations == conf {
					return i
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no replica observed %d transfers with the last at %d confirmations within 20s", len(txs), conf)
		return -1
	}

	txs := []*types.Transaction{c.pay(deposit, 100)}
	c.commit()
	holder := waitObserved(txs, 1)
	other := 1 - holder
	c.commit()
	waitObserved(txs, 2)
	time.Sleep(500 * time.Millisecond) // more than two lock retries
	if n := replicas[other].sink.askedCount() + replicas[other].sink.calls(); n != 0 {
		t.Fatalf("replica %d, which does not hold the lock, called the sink %d times", other, n)
	}

	// The holder stops (its lock is released, as when its process dies
	// and PostgreSQL closes its session); blocks go on meanwhile.
	replicas[holder].cancel()
	<-replicas[holder].done
	txs = append(txs, c.pay(deposit, 200))
	c.commit()
	c.commit()
	start := time.Now()
	if got := waitObserved(txs, 2); got != other {
		t.Fatalf("replica %d observed the new payment, want the survivor %d", got, other)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("takeover took %v, want a few seconds at most", d)
	}
	act, _, _ := replicas[other].sink.last(deposit)
	if act.Transfers[0].Confirmations != 4 || act.Transfers[0].TxHash != txs[0].Hash().Hex() {
		t.Errorf("after the takeover the first payment is %+v, want it once with 4 confirmations", act.Transfers[0])
	}
	// Two blocks with transfers: each looked at once, by either replica.
	if n := replicas[0].sink.askedCount() + replicas[1].sink.askedCount(); n != 2 {
		t.Errorf("Watched called %d times in all for 2 blocks with transfers, want 2", n)
	}
}
