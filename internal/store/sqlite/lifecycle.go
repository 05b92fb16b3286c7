package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// uncaptured is the SQL condition of an authorization that can still be
// captured, reversed or expired.
const uncaptured = `status = 'pending' AND authorized_amount > 0 AND captured_amount = 0
	AND reversed_at IS NULL AND expired_at IS NULL AND pending_op IS NULL`

// BeginChargeOp records a capture or reverse on a capturable charge. See
// store.ChargeLifecycleStore.
func (db *DB) BeginChargeOp(ctx context.Context, accountID paylinks.ID, livemode bool, chargeID paylinks.ID, op string, opID paylinks.ID, amount int64, now time.Time) error {
	return wrap("BeginChargeOp", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE charges SET pending_op = ?, pending_op_id = ?, pending_op_amount = ?,
				pending_op_at = ?, op_lease_until = NULL
			WHERE id = ? AND account_id = ? AND livemode = ? AND `+uncaptured+` AND (expires_at IS NULL OR expires_at > ?)`,
			op, idArg(opID), amount, micro(now), idArg(chargeID), idArg(accountID), livemode, micro(now))
		if err != nil {
			return err
		}
		return chargeChanged(ctx, tx, res, accountID, livemode, chargeID)
	}))
}

// chargeChanged is nil when res changed a row; otherwise ErrNotFound when
// the account and mode have no such charge, else ErrConflict.
func chargeChanged(ctx context.Context, tx *writeTx, res sql.Result, accountID paylinks.ID, livemode bool, id paylinks.ID) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM charges WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("charge %s: %w", id, paylinks.ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("charge %s: %w: its state refuses the change", id, paylinks.ErrConflict)
}

// FinishChargeOp writes the outcome of a pending capture or reverse. See
// store.ChargeLifecycleStore.
func (db *DB) FinishChargeOp(ctx context.Context, c *paylinks.Charge, opID paylinks.ID, events []paylinks.Event) error {
	return wrap("FinishChargeOp", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE charges SET status = ?, captured_amount = ?, paid_at = ?, reversed_at = ?,
				transaction_id = ?, pending_op = NULL, pending_op_id = NULL, pending_op_amount = 0, pending_op_at = NULL,
				op_lease_until = NULL
			WHERE id = ? AND pending_op_id = ?`,
			string(c.Status), c.CapturedAmount, nullMicro(c.PaidAt), nullMicro(c.ReversedAt), nullIDArg(c.TransactionID),
			idArg(c.ID), idArg(opID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrAttemptSettled
		}
		for i := range events {
			if err := insertEvent(ctx, tx, &events[i]); err != nil {
				return err
			}
		}
		return nil
	}))
}

// AbortChargeOp clears a pending operation that moved no money.
func (db *DB) AbortChargeOp(ctx context.Context, chargeID, opID paylinks.ID) error {
	return wrap("AbortChargeOp", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE charges SET pending_op = NULL, pending_op_id = NULL, pending_op_amount = 0,
			pending_op_at = NULL, op_lease_until = NULL WHERE id = ? AND pending_op_id = ?`, idArg(chargeID), idArg(opID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrAttemptSettled
		}
		return nil
	}))
}

// LeaseChargeOps leases pending captures and reverses. See
// store.ChargeLifecycleStore.
func (db *DB) LeaseChargeOps(ctx context.Context, before, now, until time.Time, limit int) ([]store.ChargeOp, error) {
	var out []store.ChargeOp
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		out = out[:0]
		rows, err := tx.Tx.QueryContext(ctx, `UPDATE charges SET op_lease_until = ?
			WHERE id IN (SELECT id FROM charges WHERE pending_op IS NOT NULL AND pending_op_at <= ?
				AND (op_lease_until IS NULL OR op_lease_until <= ?) ORDER BY pending_op_at LIMIT ?)
			RETURNING `+chargeCols+`, pending_op_id, pending_op_amount, pending_op_at`,
			micro(until), micro(before), micro(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var op store.ChargeOp
			var at int64
			if err := scanChargeInto(extraScanner{rows, []any{&op.OpID, &op.Amount, &at}}, &op.Charge); err != nil {
				return err
			}
			op.Op, op.At = op.Charge.PendingOp, fromMicro(at)
			out = append(out, op)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("LeaseChargeOps", err)
	}
	return out, nil
}

// ExpireCharge marks an uncaptured authorization expired, once. See
// store.ChargeLifecycleStore.
func (db *DB) ExpireCharge(ctx context.Context, c *paylinks.Charge, dueOnly bool, events []paylinks.Event) error {
	if c.ExpiredAt == nil {
		return wrap("ExpireCharge", errors.New("no expired_at"))
	}
	return wrap("ExpireCharge", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		at := micro(*c.ExpiredAt)
		q := `UPDATE charges SET status = 'expired', expired_at = ?
			WHERE id = ? AND account_id = ? AND livemode = ? AND ` + uncaptured
		args := []any{at, idArg(c.ID), idArg(c.AccountID), c.Livemode}
		if dueOnly {
			q += ` AND expires_at <= ?`
			args = append(args, at)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if err := chargeChanged(ctx, tx, res, c.AccountID, c.Livemode, c.ID); err != nil {
			return err
		}
		for i := range events {
			if err := insertEvent(ctx, tx, &events[i]); err != nil {
				return err
			}
		}
		return nil
	}))
}

// DueAuthorizations returns uncaptured authorizations past their expiry.
func (db *DB) DueAuthorizations(ctx context.Context, now time.Time, limit int) ([]paylinks.Charge, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+chargeCols+` FROM charges INDEXED BY charges_authorized_expiry
		WHERE status = 'pending' AND expires_at <= ? AND `+uncaptured+` ORDER BY expires_at LIMIT ?`, micro(now), limit)
	if err != nil {
		return nil, wrap("DueAuthorizations", err)
	}
	out, err := collect(rows, scanChargeInto)
	return out, wrap("DueAuthorizations", err)
}

// UpdateChargeDetails writes a charge's description and metadata.
func (db *DB) UpdateChargeDetails(ctx context.Context, c *paylinks.Charge, ev *paylinks.Event) error {
	metadata, err := jsonText(c.Metadata)
	if err != nil {
		return wrap("UpdateChargeDetails", err)
	}
	return wrap("UpdateChargeDetails", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE charges SET description = ?, metadata = ?
			WHERE id = ? AND account_id = ? AND livemode = ?`,
			c.Description, metadata, idArg(c.ID), idArg(c.AccountID), c.Livemode)
		if err != nil {
			return err
		}
		if err := chargeChanged(ctx, tx, res, c.AccountID, c.Livemode, c.ID); err != nil {
			return err
		}
		if ev != nil {
			return insertEvent(ctx, tx, ev)
		}
		return nil
	}))
}

const refundCols = `id, account_id, livemode, charge_id, amount, currency, status, voided,
	failure_code, failure_message, metadata, transaction_id, created_at`

// BeginRefund reserves a refund's amount on its charge and inserts it
// pending. See store.ChargeLifecycleStore.
func (db *DB) BeginRefund(ctx context.Context, r *paylinks.Refund, idem *paylinks.IdempotencyRecord) error {
	metadata, err := jsonText(r.Metadata)
	if err != nil {
		return wrap("BeginRefund", err)
	}
	return wrap("BeginRefund", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE charges SET refunded_amount = refunded_amount + ?
			WHERE id = ? AND account_id = ? AND livemode = ? AND status = 'successful'
				AND refunded_amount + ? <= captured_amount`,
			r.Amount, idArg(r.ChargeID), idArg(r.AccountID), r.Livemode, r.Amount)
		if err != nil {
			return err
		}
		if err := chargeChanged(ctx, tx, res, r.AccountID, r.Livemode, r.ChargeID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refunds (`+refundCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(r.ID), idArg(r.AccountID), r.Livemode, idArg(r.ChargeID), r.Amount, r.Currency, string(r.Status),
			r.Voided, r.FailureCode, r.FailureMessage, metadata, nullIDArg(r.TransactionID), micro(r.CreatedAt))
		if err != nil || idem == nil {
			return err
		}
		return markIdempotency(ctx, tx, idem, r.ID)
	}))
}

// FinishRefund writes a pending refund's outcome. See
// store.ChargeLifecycleStore.
func (db *DB) FinishRefund(ctx context.Context, r *paylinks.Refund, events []paylinks.Event) error {
	return wrap("FinishRefund", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = ?, failure_code = ?, failure_message = ?,
				transaction_id = ?, lease_until = NULL
			WHERE id = ? AND status = 'pending'`,
			string(r.Status), r.FailureCode, r.FailureMessage, nullIDArg(r.TransactionID), idArg(r.ID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrAttemptSettled
		}
		if r.Status == paylinks.RefundFailed {
			if _, err := tx.ExecContext(ctx, `UPDATE charges SET refunded_amount = refunded_amount - ? WHERE id = ?`,
				r.Amount, idArg(r.ChargeID)); err != nil {
				return err
			}
		}
		for i := range events {
			if err := insertEvent(ctx, tx, &events[i]); err != nil {
				return err
			}
		}
		return nil
	}))
}

// GetRefund returns a refund of the account and mode.
func (db *DB) GetRefund(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Refund, error) {
	r, err := scanOne(db.queryRow(ctx, `SELECT `+refundCols+` FROM refunds WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode), scanRefundInto)
	return r, wrap("GetRefund", err)
}

// ListRefunds returns a page of refunds and the number in the window.
func (db *DB) ListRefunds(ctx context.Context, f paylinks.RefundFilter) ([]paylinks.Refund, int, error) {
	from, to := bounds(f.From, f.To)
	q := listQuery{cols: refundCols, table: "refunds", where: `account_id = ? AND livemode = ?`,
		args: []any{idArg(f.AccountID), f.Livemode}, from: from, to: to, order: f.Order, offset: f.Offset, limit: f.Limit}
	if f.ChargeID != nil {
		q.where += ` AND charge_id = ?`
		q.args = append(q.args, idArg(*f.ChargeID))
	}
	rs, total, err := list(ctx, db, q, scanRefundInto)
	if err != nil {
		return nil, 0, wrap("ListRefunds", err)
	}
	return rs, total, nil
}

// LeaseRefunds leases pending refunds for the reconciler.
func (db *DB) LeaseRefunds(ctx context.Context, before, now, until time.Time, limit int) ([]paylinks.Refund, error) {
	var out []paylinks.Refund
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		rows, err := tx.Tx.QueryContext(ctx, `UPDATE refunds SET lease_until = ?
			WHERE id IN (SELECT id FROM refunds WHERE status = 'pending' AND created_at <= ?
				AND (lease_until IS NULL OR lease_until <= ?) ORDER BY created_at, id LIMIT ?)
			RETURNING `+refundCols, micro(until), micro(before), micro(now), limit)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanRefundInto)
		return err
	})
	if err != nil {
		return nil, wrap("LeaseRefunds", err)
	}
	return out, nil
}

func scanRefundInto(row scanner, r *paylinks.Refund) error {
	var status string
	var metadata sql.NullString
	var trxn uuid.NullUUID
	var created int64
	if err := row.Scan(&r.ID, &r.AccountID, &r.Livemode, &r.ChargeID, &r.Amount, &r.Currency, &status, &r.Voided,
		&r.FailureCode, &r.FailureMessage, &metadata, &trxn, &created); err != nil {
		return err
	}
	r.Status, r.TransactionID, r.CreatedAt = paylinks.RefundStatus(status), fromNullID(trxn), fromMicro(created)
	if metadata.Valid {
		if err := json.Unmarshal([]byte(metadata.String), &r.Metadata); err != nil {
			return fmt.Errorf("refund %s: metadata: %w", r.ID, err)
		}
	}
	return nil
}
