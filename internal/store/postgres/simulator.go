package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks/internal/payments"
)

var _ payments.Ledger = (*DB)(nil)

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
// key's entry, in one statement (one implicit transaction): the insert, or
// else the row that was there.
func (db *DB) simulatorEntry(ctx context.Context, op string, e payments.LedgerEntry) (got payments.LedgerEntry, err error) {
	defer wrap(&err, op)
	// A row another transaction inserted meanwhile makes the insert do
	// nothing yet is not in this statement's snapshot: ask again.
	for range 3 {
		if got, err = db.simulatorUpsert(ctx, e); !errors.Is(err, pgx.ErrNoRows) {
			return got, err
		}
	}
	return got, err
}

func (db *DB) simulatorUpsert(ctx context.Context, e payments.LedgerEntry) (got payments.LedgerEntry, err error) {
	o := &e.Outcome
	g := &got.Outcome
	err = db.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO simulator_charges (key, voided, success, failure_code, failure_message, security_code_check,
				amount, currency, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING
			RETURNING key, voided, success, failure_code, failure_message, security_code_check, amount, currency, created_at)
		SELECT * FROM ins
		UNION ALL
		SELECT key, voided, success, failure_code, failure_message, security_code_check, amount, currency, created_at
			FROM simulator_charges WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
		e.Key, e.Voided, o.Success, o.FailureCode, o.FailureMessage, o.SecurityCodeCheck, e.Amount, e.Currency, ts(e.At)).Scan(
		&got.Key, &got.Voided, &g.Success, &g.FailureCode, &g.FailureMessage, &g.SecurityCodeCheck, &got.Amount,
		&got.Currency, &got.At)
	got.At = got.At.UTC()
	return got, err
}
