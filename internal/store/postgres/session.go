package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const sessionColumns = `id, account_id, livemode, link_id, status, amount, currency, email, success_url, cancel_url,
	metadata, charge_id, created_at, expires_at, completed_at, cart`

// CreateSession inserts a checkout session and its event in one transaction.
func (db *DB) CreateSession(ctx context.Context, s *paylinks.CheckoutSession, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "CreateSession")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := insertSession(ctx, tx, s); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, ev); err != nil {
		return err
	}
	if idem != nil {
		if err := markIdempotency(ctx, tx, idem, s.ID); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func insertSession(ctx context.Context, tx pgx.Tx, s *paylinks.CheckoutSession) error {
	meta, err := jsonMap(s.Metadata)
	if err != nil {
		return err
	}
	cart, err := jsonValue(s.Cart)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO checkout_sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		s.ID, s.AccountID, s.Livemode, s.LinkID, string(s.Status), s.Amount, s.Currency, s.Email,
		s.SuccessURL, s.CancelURL, meta, s.ChargeID, ts(s.CreatedAt), ts(s.ExpiresAt), tsp(s.CompletedAt), cart)
	if err != nil || s.Crypto == nil {
		return err
	}
	return insertSessionCrypto(ctx, tx, s)
}

// jsonMap is m as JSON for a jsonb column; an empty map is NULL.
func jsonMap(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// GetSession returns a session of the account and mode.
func (db *DB) GetSession(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.CheckoutSession, err error) {
	defer wrap(&err, "GetSession")
	return scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM checkout_sessions
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// SessionByID returns a session of any account.
func (db *DB) SessionByID(ctx context.Context, id paylinks.ID) (_ *paylinks.CheckoutSession, err error) {
	defer wrap(&err, "SessionByID")
	return scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM checkout_sessions WHERE id = $1`, id))
}

// ListSessions returns a page of the account's sessions in the mode, newest
// first, after f.After when it is set (ErrNotFound when that session is not
// the account's in the mode).
func (db *DB) ListSessions(ctx context.Context, f paylinks.SessionFilter) (_ []paylinks.CheckoutSession, err error) {
	defer wrap(&err, "ListSessions")
	where, args := `account_id = $1 AND livemode = $2`, []any{f.AccountID, f.Livemode}
	var q listQuery
	if f.LinkID != nil {
		where += ` AND link_id = ` + arg(&args, *f.LinkID)
	}
	if f.After != nil {
		q.cursorSQL = `SELECT true FROM checkout_sessions WHERE id = $1 AND account_id = $2 AND livemode = $3`
		q.cursorArgs = []any{*f.After, f.AccountID, f.Livemode}
		where += ` AND (created_at, id) < (SELECT created_at, id FROM checkout_sessions
			WHERE id = ` + arg(&args, *f.After) + ` AND account_id = $1 AND livemode = $2)`
	}
	tail, args := page(args, paylinks.ReverseChronological, 0, f.Limit)
	q.pageSQL, q.pageArgs = `SELECT `+sessionColumns+` FROM checkout_sessions WHERE `+where+tail, args
	var sessions []paylinks.CheckoutSession
	_, err = q.run(ctx, db.pool, func(rows pgx.Rows) error {
		s, err := scanSession(rows)
		if err == nil {
			sessions = append(sessions, *s)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sessions, nil
}

// ClaimSession reserves an open, unexpired session for the attempt claimID
// until until, with one conditional UPDATE. See store.SessionStore.
func (db *DB) ClaimSession(ctx context.Context, id, claimID paylinks.ID, now, until time.Time) (err error) {
	defer wrap(&err, "ClaimSession")
	tag, err := db.pool.Exec(ctx, `UPDATE checkout_sessions SET claim_id = $2, claim_until = $3
		WHERE id = $1 AND status = 'open' AND expires_at > $4
		AND (claim_id IS NULL OR claim_id = $2 OR claim_until <= $4)`, id, claimID, ts(until), ts(now))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var status string
	var expires time.Time
	if err := db.pool.QueryRow(ctx, `SELECT status, expires_at FROM checkout_sessions WHERE id = $1`, id).
		Scan(&status, &expires); err != nil {
		return err
	}
	switch {
	case status != string(paylinks.SessionOpen):
		return fmt.Errorf("session is %s: %w", status, paylinks.ErrConflict)
	case !expires.After(ts(now)):
		return fmt.Errorf("session has expired: %w", paylinks.ErrConflict)
	}
	return fmt.Errorf("session is claimed by another payment: %w", paylinks.ErrConflict)
}

// ReleaseSessionClaim drops the claim claimID on the session if it still
// holds it. ErrNotFound when the session is missing.
func (db *DB) ReleaseSessionClaim(ctx context.Context, id, claimID paylinks.ID) (err error) {
	defer wrap(&err, "ReleaseSessionClaim")
	var found bool
	return db.pool.QueryRow(ctx, `WITH s AS (SELECT id FROM checkout_sessions WHERE id = $1),
		u AS (UPDATE checkout_sessions SET claim_id = NULL, claim_until = NULL WHERE id = $1 AND claim_id = $2)
		SELECT true FROM s`, id, claimID).Scan(&found)
}

// PaySession records a payment attempt of a session and its charge in one
// transaction. See store.SessionStore.
func (db *DB) PaySession(ctx context.Context, w store.SessionChargeWrite) (err error) {
	defer wrap(&err, "PaySession")
	c := w.Charge
	if c == nil || c.SessionID == nil {
		return errors.New("no charge, or a charge without a session")
	}
	if w.NewSession == nil && w.SessionClaimID == nil {
		return errors.New("neither a new session nor a session claim")
	}
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
	switch {
	case w.NewSession != nil:
		if err := insertSession(ctx, tx, w.NewSession); err != nil {
			return err
		}
	case c.Accepted():
		tag, err := tx.Exec(ctx, `UPDATE checkout_sessions SET status = 'complete', completed_at = $1,
				charge_id = $2, email = $3, claim_id = NULL, claim_until = NULL
			WHERE id = $4 AND account_id = $5 AND livemode = $6 AND status = 'open' AND claim_id = $7`,
			ts(c.CreatedAt), c.ID, c.Email, *c.SessionID, c.AccountID, c.Livemode, *w.SessionClaimID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("session does not hold claim %s: %w", *w.SessionClaimID, paylinks.ErrConflict)
		}
	default:
		if _, err := tx.Exec(ctx, `UPDATE checkout_sessions SET claim_id = NULL, claim_until = NULL
			WHERE id = $1 AND claim_id = $2`, *c.SessionID, *w.SessionClaimID); err != nil {
			return err
		}
	}
	if err := createCharge(ctx, tx, w.ChargeWrite, metadata); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func scanSession(row rowScanner) (*paylinks.CheckoutSession, error) {
	var s paylinks.CheckoutSession
	var status string
	var meta, cart []byte
	if err := row.Scan(&s.ID, &s.AccountID, &s.Livemode, &s.LinkID, &status, &s.Amount, &s.Currency, &s.Email,
		&s.SuccessURL, &s.CancelURL, &meta, &s.ChargeID, &s.CreatedAt, &s.ExpiresAt, &s.CompletedAt, &cart); err != nil {
		return nil, err
	}
	if cart != nil {
		if err := json.Unmarshal(cart, &s.Cart); err != nil {
			return nil, fmt.Errorf("session %s cart: %w", s.ID, err)
		}
	}
	s.Status = paylinks.SessionStatus(status)
	if meta != nil {
		if err := json.Unmarshal(meta, &s.Metadata); err != nil {
			return nil, fmt.Errorf("session %s metadata: %w", s.ID, err)
		}
	}
	s.CreatedAt, s.ExpiresAt, s.CompletedAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC(), utc(s.CompletedAt)
	return &s, nil
}
