package sqlite

import (
	"context"
	"time"

	"github.com/paylinks/paylinks/internal/payments"
)

var _ payments.Ledger = (*DB)(nil)

const simulatorCols = `key, voided, success, failure_code, failure_message, security_code_check, amount, currency, created_at`

// RecordSimulatedCharge stores the simulator's charge e unless its key has
// an entry, in a transaction of its own, and returns the key's entry.
func (db *DB) RecordSimulatedCharge(ctx context.Context, e payments.LedgerEntry) (payments.LedgerEntry, error) {
	return db.simulatorEntry(ctx, "RecordSimulatedCharge", e)
}

// LookupSimulatedCharge returns the entry of key, storing a void one when
// it has none. See payments.Ledger.
func (db *DB) LookupSimulatedCharge(ctx context.Context, key string, at time.Time) (payments.LedgerEntry, error) {
	return db.simulatorEntry(ctx, "LookupSimulatedCharge", payments.LedgerEntry{Key: key, Voided: true, At: at})
}

// simulatorEntry inserts e unless its key has an entry and returns the
// key's entry.
func (db *DB) simulatorEntry(ctx context.Context, op string, e payments.LedgerEntry) (payments.LedgerEntry, error) {
	var got payments.LedgerEntry
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		o := &e.Outcome
		if _, err := tx.ExecContext(ctx, `INSERT INTO simulator_charges (`+simulatorCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			e.Key, e.Voided, o.Success, o.FailureCode, o.FailureMessage, o.SecurityCodeCheck, e.Amount, e.Currency,
			micro(e.At)); err != nil {
			return err
		}
		var at int64
		g := &got.Outcome
		if err := tx.QueryRowContext(ctx, `SELECT `+simulatorCols+` FROM simulator_charges WHERE key = ?`, e.Key).Scan(
			&got.Key, &got.Voided, &g.Success, &g.FailureCode, &g.FailureMessage, &g.SecurityCodeCheck,
			&got.Amount, &got.Currency, &at); err != nil {
			return err
		}
		got.At = fromMicro(at)
		return nil
	})
	if err != nil {
		return payments.LedgerEntry{}, wrap(op, err)
	}
	return got, nil
}
