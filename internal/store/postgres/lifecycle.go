package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// uncaptured is the SQL condition of an authorization that can still be
// captured, reversed or expired.
const uncaptured = `status = 'pending' AND authorized_amount > 0 AND captured_amount = 0
	AND reversed_at IS NULL AND expired_at IS NULL AND pending_op IS NULL`

// BeginChargeOp records a capture or reverse on a capturable charge. See
// store.ChargeLifecycleStore.
func (db *DB) BeginChargeOp(ctx context.Context, accountID paylinks.ID, livemode bool, chargeID paylinks.ID, op string, opID paylinks.ID, amount int64, now time.Time) (err error) {
	defer wrap(&err, "BeginChargeOp")
	tag, err := db.pool.Exec(ctx, `UPDATE charges SET pending_op = $4, pending_op_id = $5, pending_op_amount = $6,
			pending_op_at = $7, op_lease_until = NULL
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND `+uncaptured+` AND (expires_at IS NULL OR expires_at > $7)`,
		chargeID, accountID, livemode, op, opID, amount, ts(now))
	if err != nil {
		return err
	}
	return chargeChanged(ctx, db.pool, tag, accountID, livemode, chargeID)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// chargeChanged is nil when tag changed a row; otherwise ErrNotFound when
// the account and mode have no such charge, else ErrConflict.
func chargeChanged(ctx context.Context, q querier, tag pgconn.CommandTag, accountID paylinks.ID, livemode bool, id paylinks.ID) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM charges WHERE id = $1 AND account_id = $2 AND livemode = $3`,
		id, accountID, livemode).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("charge %s: %w", id, paylinks.ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("charge %s: %w: its state refuses the change", id, paylinks.ErrConflict)
}

func eventPtrs(events []paylinks.Event) []*paylinks.Event {
	evs := make([]*paylinks.Event, len(events))
	for i := range events {
		evs[i] = &events[i]
	}
	return evs
}

// FinishChargeOp writes the outcome of a pending capture or reverse. See
// store.ChargeLifecycleStore.
func (db *DB) FinishChargeOp(ctx context.Context, c *paylinks.Charge, opID paylinks.ID, events []paylinks.Event) (err error) {
	defer wrap(&err, "FinishChargeOp")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE charges SET status = $3, captured_amount = $4, paid_at = $5, reversed_at = $6,
			transaction_id = $7, pending_op = NULL, pending_op_id = NULL, pending_op_amount = 0, pending_op_at = NULL,
			op_lease_until = NULL
		WHERE id = $1 AND pending_op_id = $2`,
		c.ID, opID, string(c.Status), c.CapturedAmount, tsp(c.PaidAt), tsp(c.ReversedAt), c.TransactionID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAttemptSettled
	}
	if err := insertEvents(ctx, tx, eventPtrs(events)...); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// AbortChargeOp clears a pending operation that moved no money.
func (db *DB) AbortChargeOp(ctx context.Context, chargeID, opID paylinks.ID) (err error) {
	defer wrap(&err, "AbortChargeOp")
	tag, err := db.pool.Exec(ctx, `UPDATE charges SET pending_op = NULL, pending_op_id = NULL, pending_op_amount = 0,
		pending_op_at = NULL, op_lease_until = NULL WHERE id = $1 AND pending_op_id = $2`, chargeID, opID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAttemptSettled
	}
	return nil
}

// LeaseChargeOps leases pending captures and reverses, FOR UPDATE SKIP
// LOCKED, so that replicas never lease one at once.
func (db *DB) LeaseChargeOps(ctx context.Context, before, now, until time.Time, limit int) (_ []store.ChargeOp, err error) {
	defer wrap(&err, "LeaseChargeOps")
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT id FROM charges WHERE pending_op IS NOT NULL AND pending_op_at <= $2
				AND (op_lease_until IS NULL OR op_lease_until <= $3)
			ORDER BY pending_op_at LIMIT $4 FOR UPDATE SKIP LOCKED)
		UPDATE charges c SET op_lease_until = $1 FROM due WHERE c.id = due.id
		RETURNING `+prefixed("c.", chargeColumns)+`, c.pending_op_id, c.pending_op_amount, c.pending_op_at`,
		ts(until), ts(before), ts(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ChargeOp
	for rows.Next() {
		var op store.ChargeOp
		c, err := scanCharge(extraScanner{rows, []any{&op.OpID, &op.Amount, &op.At}})
		if err != nil {
			return nil, err
		}
		op.Charge, op.Op, op.At = *c, c.PendingOp, op.At.UTC()
		out = append(out, op)
	}
	return out, rows.Err()
}

// extraScanner scans a row followed by more columns, into extra.
type extraScanner struct {
	row   rowScanner
	extra []any
}

func (s extraScanner) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// ExpireCharge marks an uncaptured authorization expired, once. See
// store.ChargeLifecycleStore.
func (db *DB) ExpireCharge(ctx context.Context, c *paylinks.Charge, dueOnly bool, events []paylinks.Event) (err error) {
	defer wrap(&err, "ExpireCharge")
	if c.ExpiredAt == nil {
		return errors.New("no expired_at")
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE charges SET status = 'expired', expired_at = $4
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND `+uncaptured+` AND (NOT $5 OR expires_at <= $4)`,
		c.ID, c.AccountID, c.Livemode, ts(*c.ExpiredAt), dueOnly)
	if err != nil {
		return err
	}
	if err := chargeChanged(ctx, tx, tag, c.AccountID, c.Livemode, c.ID); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, eventPtrs(events)...); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// DueAuthorizations returns uncaptured authorizations past their expiry.
func (db *DB) DueAuthorizations(ctx context.Context, now time.Time, limit int) (_ []paylinks.Charge, err error) {
	defer wrap(&err, "DueAuthorizations")
	rows, err := db.pool.Query(ctx, `SELECT `+chargeColumns+` FROM charges
		WHERE status = 'pending' AND expires_at <= $1 AND `+uncaptured+` ORDER BY expires_at LIMIT $2`, ts(now), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCharge)
}

// UpdateChargeDetails writes a charge's description and metadata.
func (db *DB) UpdateChargeDetails(ctx context.Context, c *paylinks.Charge, ev *paylinks.Event) (err error) {
	defer wrap(&err, "UpdateChargeDetails")
	metadata, err := jsonMap(c.Metadata)
	if err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE charges SET description = $4, metadata = $5
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, c.ID, c.AccountID, c.Livemode, c.Description, metadata)
	if err != nil {
		return err
	}
	if err := chargeChanged(ctx, tx, tag, c.AccountID, c.Livemode, c.ID); err != nil {
		return err
	}
	if ev != nil {
		if err := insertEvents(ctx, tx, ev); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

const refundColumns = `id, account_id, livemode, charge_id, amount, currency, status, voided,
	failure_code, failure_message, metadata, transaction_id, created_at`

// BeginRefund reserves a refund's amount on its charge with one conditional
// UPDATE (which locks the charge's row until commit, so concurrent refunds
// are decided one after another) and inserts the refund pending.
func (db *DB) BeginRefund(ctx context.Context, r *paylinks.Refund, idem *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "BeginRefund")
	metadata, err := jsonMap(r.Metadata)
	if err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE charges SET refunded_amount = refunded_amount + $4
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND status = 'successful'
			AND refunded_amount + $4 <= captured_amount`, r.ChargeID, r.AccountID, r.Livemode, r.Amount)
	if err != nil {
		return err
	}
	if err := chargeChanged(ctx, tx, tag, r.AccountID, r.Livemode, r.ChargeID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO refunds (`+refundColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.ID, r.AccountID, r.Livemode, r.ChargeID, r.Amount, r.Currency, string(r.Status), r.Voided,
		r.FailureCode, r.FailureMessage, metadata, r.TransactionID, ts(r.CreatedAt)); err != nil {
		return err
	}
	if idem != nil {
		if err := markIdempotency(ctx, tx, idem, r.ID); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// FinishRefund writes a pending refund's outcome. See
// store.ChargeLifecycleStore.
func (db *DB) FinishRefund(ctx context.Context, r *paylinks.Refund, events []paylinks.Event) (err error) {
	defer wrap(&err, "FinishRefund")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE refunds SET status = $2, failure_code = $3, failure_message = $4,
			transaction_id = $5, lease_until = NULL
		WHERE id = $1 AND status = 'pending'`, r.ID, string(r.Status), r.FailureCode, r.FailureMessage, r.TransactionID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAttemptSettled
	}
	if r.Status == paylinks.RefundFailed {
		if _, err := tx.Exec(ctx, `UPDATE charges SET refunded_amount = refunded_amount - $2 WHERE id = $1`,
			r.ChargeID, r.Amount); err != nil {
			return err
		}
	}
	if err := insertEvents(ctx, tx, eventPtrs(events)...); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// GetRefund returns a refund of the account and mode.
func (db *DB) GetRefund(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.Refund, err error) {
	defer wrap(&err, "GetRefund")
	return scanRefund(db.pool.QueryRow(ctx, `SELECT `+refundColumns+` FROM refunds
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// ListRefunds returns a page of refunds and the number in the window.
func (db *DB) ListRefunds(ctx context.Context, f paylinks.RefundFilter) (_ []paylinks.Refund, total int, err error) {
	defer wrap(&err, "ListRefunds")
	where, args := `account_id = $1 AND livemode = $2`, []any{f.AccountID, f.Livemode}
	if f.ChargeID != nil {
		args = append(args, *f.ChargeID)
		where += ` AND charge_id = $3`
	}
	where, args = window(where, args, f.From, f.To)
	tail, pageArgs := page(args[:len(args):len(args)], f.Order, f.Offset, f.Limit)
	var out []paylinks.Refund
	q := listQuery{
		pageSQL: `SELECT ` + refundColumns + ` FROM refunds WHERE ` + where + tail, pageArgs: pageArgs,
		countSQL: `SELECT count(*) FROM refunds WHERE ` + where, countArgs: args,
	}
	total, err = q.run(ctx, db.pool, func(rows pgx.Rows) error {
		r, err := scanRefund(rows)
		if err == nil {
			out = append(out, *r)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// LeaseRefunds leases pending refunds, FOR UPDATE SKIP LOCKED.
func (db *DB) LeaseRefunds(ctx context.Context, before, now, until time.Time, limit int) (_ []paylinks.Refund, err error) {
	defer wrap(&err, "LeaseRefunds")
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT id FROM refunds WHERE status = 'pending' AND created_at <= $2
				AND (lease_until IS NULL OR lease_until <= $3)
			ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		UPDATE refunds r SET lease_until = $1 FROM due WHERE r.id = due.id
		RETURNING `+prefixed("r.", refundColumns), ts(until), ts(before), ts(now), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRefund)
}

func scanRefund(row rowScanner) (*paylinks.Refund, error) {
	var r paylinks.Refund
	var status string
	var metadata []byte
	if err := row.Scan(&r.ID, &r.AccountID, &r.Livemode, &r.ChargeID, &r.Amount, &r.Currency, &status, &r.Voided,
		&r.FailureCode, &r.FailureMessage, &metadata, &r.TransactionID, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.Status, r.CreatedAt = paylinks.RefundStatus(status), r.CreatedAt.UTC()
	if metadata != nil {
		if err := json.Unmarshal(metadata, &r.Metadata); err != nil {
			return nil, fmt.Errorf("refund %s metadata: %w", r.ID, err)
		}
	}
	return &r, nil
}
