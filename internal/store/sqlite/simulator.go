package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paylinks/paylinks/internal/payments"
)

var _ payments.Ledger = (*DB)(nil)

const simulatorCols = `key, voided, success, failure_code, failure_message, security_code_check, amount, currency, created_at`

// RecordSimulatedCharge stores the simulator's charge e unless its key has
// an entry, in a transaction of its own, and returns the key's entry.
func (db *DB) RecordSimulatedCharge(ctx context.Context, e payments.LedgerEntry) (payments.LedgerEntry, error) {
	// A key is charged once, nearly always: insert the row (grouped with
	// the batch's other such rows in one statement), and only when the key
	// has one already read that.
	o := &e.Outcome
	err := db.execRows(ctx, []tableRow{{into: simulatorInsertInto, values: []any{e.Key, e.Voided, o.Success,
		o.FailureCode, o.FailureMessage, o.SecurityCodeCheck, e.Amount, e.Currency, micro(e.At)}}})
	if err == nil {
		e.At = fromMicro(micro(e.At))
		return e, nil
	}
	if !isUniqueViolation(err) {
		return payments.LedgerEntry{}, wrap("RecordSimulatedCharge", err)
	}
	return db.simulatorEntry(ctx, "RecordSimulatedCharge", e)
}

const simulatorInsertInto = `simulator_charges (` + simulatorCols + `)`

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
		g := &got.Outcome
		var at int64
		scan := func(row *sql.Row) error {
			return row.Scan(&got.Key, &got.Voided, &g.Success, &g.FailureCode, &g.FailureMessage, &g.SecurityCodeCheck,
				&got.Amount, &got.Currency, &at)
		}
		// Inserted (the usual case): the row comes back at once; else the
		// key's row is read.
		err := scan(tx.QueryRowContext(ctx, `INSERT INTO simulator_charges (`+simulatorCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING `+simulatorCols,
			e.Key, e.Voided, o.Success, o.FailureCode, o.FailureMessage, o.SecurityCodeCheck, e.Amount, e.Currency,
			micro(e.At)))
		if errors.Is(err, sql.ErrNoRows) {
			err = scan(tx.QueryRowContext(ctx, `SELECT `+simulatorCols+` FROM simulator_charges WHERE key = ?`, e.Key))
		}
		got.At = fromMicro(at)
		return err
	})
	if err != nil {
		return payments.LedgerEntry{}, wrap(op, err)
	}
	return got, nil
}
