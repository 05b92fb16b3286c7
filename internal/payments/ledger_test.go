package payments

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestSimulatorIdempotencyKey: a charge repeated with its key returns the
// first outcome and the ledger holds one entry; Lookup finds it.
func TestSimulatorIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	led := &MemoryLedger{}
	sim := &Simulator{Ledger: led}
	ok, _ := sim.Tokenize(ctx, CardDetails{Number: "4242424242424242"})
	declined, _ := sim.Tokenize(ctx, CardDetails{Number: "4111111111140011"})
	first, err := sim.Charge(ctx, ChargeRequest{Ref: ok, Amount: 5000, Currency: "THB", IdempotencyKey: "k1"})
	if err != nil || !first.Success {
		t.Fatalf("Charge = %+v, %v; want success", first, err)
	}
	// The same key with another card: the first outcome, no second charge.
	again, err := sim.Charge(ctx, ChargeRequest{Ref: declined, Amount: 5000, Currency: "THB", IdempotencyKey: "k1"})
	if err != nil || again != first {
		t.Errorf("repeated Charge = %+v, %v; want the first outcome %+v", again, err, first)
	}
	if n := led.Len(); n != 1 {
		t.Errorf("ledger has %d entries, want 1", n)
	}
	got, found, err := sim.Lookup(ctx, "k1")
	if err != nil || !found || got != first {
		t.Errorf("Lookup(k1) = %+v, %v, %v; want %+v, true", got, found, err, first)
	}
}

// TestSimulatorLookupVoidsKey: a key Lookup did not find is refused by a
// later Charge, which moves no money.
func TestSimulatorLookupVoidsKey(t *testing.T) {
	ctx := context.Background()
	sim := &Simulator{}
	_, found, err := sim.Lookup(ctx, "late")
	if err != nil || found {
		t.Fatalf("Lookup(unused key) = found %v, %v; want not found", found, err)
	}
	ref, _ := sim.Tokenize(ctx, CardDetails{Number: "4242424242424242"})
	if _, err := sim.Charge(ctx, ChargeRequest{Ref: ref, Amount: 100, Currency: "THB", IdempotencyKey: "late"}); !errors.Is(err, ErrKeyVoided) {
		t.Errorf("Charge of a voided key: err %v, want ErrKeyVoided", err)
	}
	if _, found, _ := sim.Lookup(ctx, "late"); found {
		t.Error("Lookup finds a charge of a voided key")
	}
}

// TestSimulatorLedgerBeforeDelay: with Delay, the ledger has the charge
// while the answer is still in flight (the caller may die then).
func TestSimulatorLedgerBeforeDelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	led := &MemoryLedger{}
	sim := &Simulator{Ledger: led, Delay: time.Hour}
	ref, _ := sim.Tokenize(ctx, CardDetails{Number: "4242424242424242"})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sim.Charge(ctx, ChargeRequest{Ref: ref, Amount: 100, Currency: "THB", IdempotencyKey: "inflight"})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for led.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	if _, found, err := sim.Lookup(context.Background(), "inflight"); err != nil || !found {
		t.Errorf("Lookup of a charge whose answer was in flight = found %v, %v; want found", found, err)
	}
}

func TestUnconfiguredLookup(t *testing.T) {
	if _, found, err := (Unconfigured{}).Lookup(context.Background(), "k"); found || err != nil {
		t.Errorf("Unconfigured.Lookup = %v, %v; want not found", found, err)
	}
}
