package payments

import (
	"context"
	"sync"
	"time"
)

// LedgerEntry is what the simulator's ledger keeps of one idempotency key:
// the charge made with it (its outcome, amount and currency), or the mark
// that the key was voided before any charge used it.
type LedgerEntry struct {
	Key      string
	Voided   bool
	Outcome  Outcome // when not Voided
	Amount   int64
	Currency string
	At       time.Time
}

// Ledger is the simulator's own record of the charges it made, kept as an
// external processor keeps its own: each entry is written in a transaction
// of its own before Charge returns. Both stores implement it on a table of
// their own (simulator_charges); MemoryLedger is for unit tests.
type Ledger interface {
	// RecordSimulatedCharge stores e under e.Key unless the key has an
	// entry already, and returns the entry the key has after it: e, or the
	// earlier one (a charge or a void), unchanged.
	RecordSimulatedCharge(ctx context.Context, e LedgerEntry) (LedgerEntry, error)
	// LookupSimulatedCharge returns the entry of key; when there is none
	// it stores a void entry at `at` and returns it, so that a later
	// RecordSimulatedCharge of the key finds the void.
	LookupSimulatedCharge(ctx context.Context, key string, at time.Time) (LedgerEntry, error)
}

// MemoryLedger is a Ledger in memory, for unit tests and for a Simulator
// that was given none. The zero value is ready to use.
type MemoryLedger struct {
	mu      sync.Mutex
	entries map[string]LedgerEntry
}

var _ Ledger = (*MemoryLedger)(nil)

// RecordSimulatedCharge implements Ledger.
func (m *MemoryLedger) RecordSimulatedCharge(_ context.Context, e LedgerEntry) (LedgerEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.entries[e.Key]; ok {
		return old, nil
	}
	if m.entries == nil {
		m.entries = make(map[string]LedgerEntry)
	}
	m.entries[e.Key] = e
	return e, nil
}

// LookupSimulatedCharge implements Ledger.
func (m *MemoryLedger) LookupSimulatedCharge(_ context.Context, key string, at time.Time) (LedgerEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.entries[key]; ok {
		return old, nil
	}
	if m.entries == nil {
		m.entries = make(map[string]LedgerEntry)
	}
	e := LedgerEntry{Key: key, Voided: true, At: at}
	m.entries[key] = e
	return e, nil
}

// Len returns the number of entries, charges and voids.
func (m *MemoryLedger) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
