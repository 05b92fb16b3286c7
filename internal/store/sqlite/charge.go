package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const chargeCols = `id, account_id, livemode, link_id, session_id, amount, currency, description,
	status, capture, failure_code, failure_message,
	card_id, card_brand, card_first6, card_last4, card_exp_month, card_exp_year, card_name,
	card_fingerprint, card_security_code_check, email, metadata, transaction_id, created_at, paid_at,
	authorized_amount, captured_amount, refunded_amount, expires_at, reversed_at, expired_at, pending_op, ip, source_type`

// CreateCharge inserts a charge and its events in one transaction. A
// successful charge with w.ClaimID counts against its link's limit, marks
// it used when that reaches the limit (used_at = the charge's CreatedAt;
// a single-use link's limit is 1) and drops the claim, or, when the link does not hold
// that claim, writes nothing and returns ErrConflict. With w.TokenID the
// token's charge_status becomes the charge's status (ErrNotFound, nothing
// written, when the account and mode have no such token).
func (db *DB) CreateCharge(ctx context.Context, w store.ChargeWrite) error {
	c := w.Charge
	if c == nil {
		return wrap("CreateCharge", errors.New("no charge"))
	}
	var metadata any
	if len(c.Metadata) > 0 {
		b, err := json.Marshal(c.Metadata)
		if err != nil {
			return wrap("CreateCharge", err)
		}
		metadata = string(b)
	}
	return wrap("CreateCharge", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if w.AttemptID != nil {
			if err := finishAttempt(ctx, tx, *w.AttemptID, c); err != nil {
				return err
			}
		}
		if err := createCharge(ctx, tx, w, metadata); err != nil {
			return err
		}
		if w.Idem != nil {
			if err := markIdempotency(ctx, tx, w.Idem, c.ID); err != nil && !errors.Is(err, store.ErrKeyLost) {
				return err
			}
		}
		return nil
	}))
}

// createCharge is CreateCharge inside the caller's transaction; metadata is
// the charge's metadata as JSON text, or nil.
func createCharge(ctx context.Context, tx *writeTx, w store.ChargeWrite, metadata any) error {
	c := w.Charge
	if w.ClaimID != nil && c.Accepted() {
		if c.LinkID == nil {
			return errors.New("ClaimID without LinkID")
		}
		// A link deleted while the payment ran still holds the claim:
		// the money moved, so the charge is recorded.
		// The payment counts against the link's limit; the one that
		// reaches it (the only one of a single-use link) uses the link.
		res, err := tx.ExecContext(ctx, `UPDATE links SET payment_count = payment_count + 1,
			used = (multiple = 0 OR payment_count + 1 >= payment_limit),
			used_at = CASE WHEN multiple = 0 OR payment_count + 1 >= payment_limit THEN ?1 END,
			claim_id = NULL, claim_until = NULL
			WHERE id = ?2 AND account_id = ?3 AND livemode = ?4 AND used = 0 AND claim_id = ?5`,
			micro(c.CreatedAt), idArg(*c.LinkID), idArg(c.AccountID), c.Livemode, idArg(*w.ClaimID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w: link does not hold claim %s", paylinks.ErrConflict, w.ClaimID)
		}
	} else if w.ClaimID != nil && c.LinkID != nil {
		// Not paid: the single-use link is payable again.
		if _, err := tx.ExecContext(ctx, `UPDATE links SET claim_id = NULL, claim_until = NULL WHERE id = ? AND claim_id = ?`,
			idArg(*c.LinkID), idArg(*w.ClaimID)); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO charges (`+chargeCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
		idArg(c.ID), idArg(c.AccountID), c.Livemode, nullIDArg(c.LinkID), nullIDArg(c.SessionID),
		c.Amount, c.Currency, c.Description, string(c.Status), c.Capture, c.FailureCode, c.FailureMessage,
		idArg(c.CardID), c.Card.Brand, c.Card.FirstDigits, c.Card.LastDigits, c.Card.ExpirationMonth,
		c.Card.ExpirationYear, c.Card.Name, c.Card.Fingerprint, c.Card.SecurityCodeCheck,
		c.Email, metadata, nullIDArg(c.TransactionID), micro(c.CreatedAt), nullMicro(c.PaidAt),
		c.AuthorizedAmount, c.CapturedAmount, c.RefundedAmount, nullMicro(c.ExpiresAt), nullMicro(c.ReversedAt), nullMicro(c.ExpiredAt), c.IP, c.SourceType)
	if err != nil {
		return err
	}
	if w.TokenID != nil {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET charge_status = ? WHERE id = ? AND account_id = ? AND livemode = ?`,
			string(c.Status), idArg(*w.TokenID), idArg(c.AccountID), c.Livemode)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("token %s: %w", w.TokenID, paylinks.ErrNotFound)
		}
	}
	for i := range w.Events {
		if err := insertEvent(ctx, tx, &w.Events[i]); err != nil {
			return err
		}
	}
	return nil
}

// GetCharge returns a charge of the account and mode.
func (db *DB) GetCharge(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Charge, error) {
	c, err := scanCharge(db.queryRow(ctx,
		`SELECT `+chargeCols+` FROM charges WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode))
	return c, wrap("GetCharge", err)
}

// ListCharges returns a page of the account's charges in the mode and window
// (of one link when f.LinkID is set), and the number in the window.
func (db *DB) ListCharges(ctx context.Context, f paylinks.ChargeFilter) ([]paylinks.Charge, int, error) {
	from, to := bounds(f.From, f.To)
	q := listQuery{
		cols:  chargeCols,
		table: "charges",
		where: `account_id = ? AND livemode = ?`,
		args:  []any{idArg(f.AccountID), f.Livemode},
		from:  from, to: to,
		order:  f.Order,
		offset: f.Offset, limit: f.Limit,
		noCount: f.SkipTotal,
	}
	if f.LinkID != nil {
		q.where += ` AND link_id = ?`
		q.args = append(q.args, idArg(*f.LinkID))
	}
	if f.After != nil {
		q.after = &cursor{id: idArg(*f.After), accountID: idArg(f.AccountID), livemode: f.Livemode}
	}
	charges, total, err := list(ctx, db, q, scanChargeInto)
	if err != nil {
		return nil, 0, wrap("ListCharges", err)
	}
	return charges, total, nil
}

func scanCharge(row scanner) (*paylinks.Charge, error) { return scanOne(row, scanChargeInto) }

func scanChargeInto(row scanner, c *paylinks.Charge) error {
	var linkID, sessionID, transactionID uuid.NullUUID
	var status string
	var metadata sql.NullString
	var created int64
	var paid, expires, reversed, expired sql.NullInt64
	var op sql.NullString
	err := row.Scan(&c.ID, &c.AccountID, &c.Livemode, &linkID, &sessionID, &c.Amount, &c.Currency, &c.Description,
		&status, &c.Capture, &c.FailureCode, &c.FailureMessage,
		&c.CardID, &c.Card.Brand, &c.Card.FirstDigits, &c.Card.LastDigits, &c.Card.ExpirationMonth,
		&c.Card.ExpirationYear, &c.Card.Name, &c.Card.Fingerprint, &c.Card.SecurityCodeCheck,
		&c.Email, &metadata, &transactionID, &created, &paid,
		&c.AuthorizedAmount, &c.CapturedAmount, &c.RefundedAmount, &expires, &reversed, &expired, &op, &c.IP, &c.SourceType)
	if err != nil {
		return err
	}
	c.LinkID, c.SessionID, c.TransactionID = fromNullID(linkID), fromNullID(sessionID), fromNullID(transactionID)
	c.Status = paylinks.ChargeStatus(status)
	if metadata.Valid {
		if err := json.Unmarshal([]byte(metadata.String), &c.Metadata); err != nil {
			return fmt.Errorf("charge %s: metadata: %w", c.ID, err)
		}
	}
	c.CreatedAt, c.PaidAt = fromMicro(created), fromNullMicro(paid)
	c.ExpiresAt, c.ReversedAt, c.ExpiredAt = fromNullMicro(expires), fromNullMicro(reversed), fromNullMicro(expired)
	c.PendingOp = op.String
	return nil
}
