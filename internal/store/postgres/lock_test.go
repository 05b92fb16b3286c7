package postgres_test

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/store/postgres"
)

// TestTryLock: one lock holder at a time across two stores (two
// replicas); Release lets the other take it; a holder whose connection
// dies (its backend terminated, as when its process or network dies)
// sees Lost closed, and the other takes the lock.
func TestTryLock(t *testing.T) {
	dsn := postgres.TestDSN(t)
	ctx := t.Context()
	a, err := postgres.Open(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	name := "test-lock:" + dsn // unique to this test's schema

	la, err := a.TryLock(ctx, name)
	if err != nil || la == nil {
		t.Fatalf("TryLock on a free lock: %v, %v", la, err)
	}
	if lb, err := b.TryLock(ctx, name); err != nil || lb != nil {
		t.Fatalf("TryLock on a held lock: got %v, %v; want nil, nil", lb, err)
	}
	if lo, err := b.TryLock(ctx, name+"-other"); err != nil || lo == nil {
		t.Fatalf("TryLock of another name: %v, %v", lo, err)
	} else {
		lo.Release()
	}
	if err := la.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	la.Release() // twice is harmless
	lb, err := b.TryLock(ctx, name)
	if err != nil || lb == nil {
		t.Fatalf("TryLock after Release: %v, %v", lb, err)
	}

	// Kill lb's backend: Lost closes within a few seconds, and a takes it.
	if _, err := a.Pool().Exec(ctx, `SELECT pg_terminate_backend($1)`, postgres.LockPID(lb)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lb.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed 10s after the lock's backend was terminated")
	}
	lb.Release()
	var la2 interface{ Release() error }
	for deadline := time.Now().Add(10 * time.Second); ; {
		l, err := a.TryLock(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if l != nil {
			la2 = l
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock of a terminated backend was not free within 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	la2.Release()
}
