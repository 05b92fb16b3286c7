package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const cardColumns = `card_brand, card_first6, card_last4, card_exp_month, card_exp_year,
	card_name, card_fingerprint, card_security_code_check`

const chargeColumns = `id, account_id, livemode, link_id, session_id, amount, currency, description,
	status, capture, failure_code, failure_message, card_id, ` + cardColumns + `,
	email, metadata, transaction_id, created_at, paid_at,
	authorized_amount, captured_amount, refunded_amount, expires_at, reversed_at, expired_at, pending_op, ip, source_type`

// CreateCharge inserts a charge and its events in one transaction.
//
// When w.ClaimID is set and the charge is successful, the same transaction
// counts it on the charge's link and marks the link used (used_at = the
// charge's CreatedAt) when that reaches its limit (1 for a single-use
// link), and drops the claim, with one conditional UPDATE on the claim;
// if the link does not hold that claim (or is used already) it returns
// ErrConflict with nothing written. When w.TokenID is set, the token's
// charge_status is set to the charge's status (ErrNotFound, nothing written,
// when the account has no such token in the mode).
func (db *DB) CreateCharge(ctx context.Context, w store.ChargeWrite) (err error) {
	defer wrap(&err, "CreateCharge")
	c := w.Charge
	metadata, err := jsonMap(c.Metadata)
	if err != nil {
		return err
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
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
	return tx.Commit(ctx)
}

// createCharge is CreateCharge inside the caller's transaction; metadata is
// the charge's metadata as jsonMap made it.
func createCharge(ctx context.Context, tx pgx.Tx, w store.ChargeWrite, metadata any) error {
	c := w.Charge
	createdAt := ts(c.CreatedAt)
	if w.ClaimID != nil && c.Accepted() {
		if c.LinkID == nil {
			return errors.New("a claim without the charge's link id")
		}
		// The payment counts against the link's limit; the one that
		// reaches it (the only one of a single-use link) uses the link.
		tag, err := tx.Exec(ctx, `UPDATE links SET payment_count = payment_count + 1,
			used = (NOT multiple OR payment_count + 1 >= payment_limit),
			used_at = CASE WHEN NOT multiple OR payment_count + 1 >= payment_limit THEN $3::timestamptz END,
			claim_id = NULL, claim_until = NULL
			WHERE id = $1 AND claim_id = $2 AND used = false`, *c.LinkID, *w.ClaimID, createdAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("link does not hold claim %s: %w", *w.ClaimID, paylinks.ErrConflict)
		}
	} else if w.ClaimID != nil && c.LinkID != nil {
		// Not paid: the single-use link is payable again.
		if _, err := tx.Exec(ctx, `UPDATE links SET claim_id = NULL, claim_until = NULL WHERE id = $1 AND claim_id = $2`,
			*c.LinkID, *w.ClaimID); err != nil {
			return err
		}
	}
	if w.TokenID != nil {
		tag, err := tx.Exec(ctx, `UPDATE tokens SET charge_status = $4
			WHERE id = $1 AND account_id = $2 AND livemode = $3`,
			*w.TokenID, c.AccountID, c.Livemode, string(c.Status))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("token %s: %w", *w.TokenID, paylinks.ErrNotFound)
		}
	}
	k := &c.Card
	if _, err := tx.Exec(ctx, `INSERT INTO charges (`+chargeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
		$22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, NULL, $33, $34)`,
		c.ID, c.AccountID, c.Livemode, c.LinkID, c.SessionID, c.Amount, c.Currency, c.Description,
		string(c.Status), c.Capture, c.FailureCode, c.FailureMessage, c.CardID,
		k.Brand, k.FirstDigits, k.LastDigits, k.ExpirationMonth, k.ExpirationYear, k.Name, k.Fingerprint, k.SecurityCodeCheck,
		c.Email, metadata, c.TransactionID, createdAt, tsp(c.PaidAt),
		c.AuthorizedAmount, c.CapturedAmount, c.RefundedAmount, tsp(c.ExpiresAt), tsp(c.ReversedAt), tsp(c.ExpiredAt),
		c.IP, c.SourceType,
	); err != nil {
		return err
	}
	return insertEvents(ctx, tx, eventPtrs(w.Events)...)
}

// GetCharge returns a charge of the account and mode.
func (db *DB) GetCharge(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.Charge, err error) {
	defer wrap(&err, "GetCharge")
	return scanCharge(db.pool.QueryRow(ctx, `SELECT `+chargeColumns+` FROM charges
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// ListCharges returns a page of the account's charges in the mode (of one
// link when f.LinkID is set), ordered by (created_at, id) in f.Order, and the
// number in the window [f.From, f.To]. f.Limit <= 0 means no limit.
func (db *DB) ListCharges(ctx context.Context, f paylinks.ChargeFilter) (_ []paylinks.Charge, total int, err error) {
	defer wrap(&err, "ListCharges")
	where, args := `account_id = $1 AND livemode = $2`, []any{f.AccountID, f.Livemode}
	if f.LinkID != nil {
		args = append(args, *f.LinkID)
		where += ` AND link_id = $3`
	}
	where, args = window(where, args, f.From, f.To)
	q := listQuery{countSQL: `SELECT count(*) FROM charges WHERE ` + where, countArgs: args}
	if f.SkipTotal {
		q.countSQL = ""
	}
	offset := f.Offset
	if f.After != nil {
		q.countSQL, offset = "", 0
		q.cursorSQL = `SELECT true FROM charges WHERE id = $1 AND account_id = $2 AND livemode = $3`
		q.cursorArgs = []any{*f.After, f.AccountID, f.Livemode}
		cmp := ">"
		if f.Order == paylinks.ReverseChronological {
			cmp = "<"
		}
		args = append(args[:len(args):len(args)], *f.After)
		where += fmt.Sprintf(` AND (created_at, id) %s (SELECT created_at, id FROM charges
			WHERE id = $%d AND account_id = $1 AND livemode = $2)`, cmp, len(args))
	}
	tail, pageArgs := page(args[:len(args):len(args)], f.Order, offset, f.Limit)
	q.pageSQL, q.pageArgs = `SELECT `+chargeColumns+` FROM charges WHERE `+where+tail, pageArgs
	var charges []paylinks.Charge
	total, err = q.run(ctx, db.pool, func(rows pgx.Rows) error {
		c, err := scanCharge(rows)
		if err == nil {
			charges = append(charges, *c)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return charges, total, nil
}

func scanCharge(row rowScanner) (*paylinks.Charge, error) {
	var (
		c        paylinks.Charge
		status   string
		metadata []byte
		op       *string
	)
	k := &c.Card
	if err := row.Scan(&c.ID, &c.AccountID, &c.Livemode, &c.LinkID, &c.SessionID, &c.Amount, &c.Currency, &c.Description,
		&status, &c.Capture, &c.FailureCode, &c.FailureMessage, &c.CardID,
		&k.Brand, &k.FirstDigits, &k.LastDigits, &k.ExpirationMonth, &k.ExpirationYear, &k.Name, &k.Fingerprint, &k.SecurityCodeCheck,
		&c.Email, &metadata, &c.TransactionID, &c.CreatedAt, &c.PaidAt,
		&c.AuthorizedAmount, &c.CapturedAmount, &c.RefundedAmount, &c.ExpiresAt, &c.ReversedAt, &c.ExpiredAt, &op, &c.IP, &c.SourceType,
	); err != nil {
		return nil, err
	}
	c.Status = paylinks.ChargeStatus(status)
	if metadata != nil {
		if err := json.Unmarshal(metadata, &c.Metadata); err != nil {
			return nil, fmt.Errorf("charge %s metadata: %w", c.ID, err)
		}
	}
	c.CreatedAt = c.CreatedAt.UTC()
	c.PaidAt = utc(c.PaidAt)
	c.ExpiresAt, c.ReversedAt, c.ExpiredAt = utc(c.ExpiresAt), utc(c.ReversedAt), utc(c.ExpiredAt)
	if op != nil {
		c.PendingOp = *op
	}
	return &c, nil
}
