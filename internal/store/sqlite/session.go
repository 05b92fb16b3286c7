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

const sessionCols = `id, account_id, livemode, link_id, status, amount, currency, email, success_url, cancel_url,
	metadata, charge_id, created_at, expires_at, completed_at, cart`

// CreateSession inserts a checkout session and its event.
func (db *DB) CreateSession(ctx context.Context, s *paylinks.CheckoutSession, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error {
	meta, err := jsonText(s.Metadata)
	if err != nil {
		return wrap("CreateSession", err)
	}
	return wrap("CreateSession", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if err := insertSession(ctx, tx, s, meta); err != nil {
			return err
		}
		if idem != nil {
			if err := markIdempotency(ctx, tx, idem, s.ID); err != nil {
				return err
			}
		}
		return insertEvent(ctx, tx, ev)
	}))
}

func insertSession(ctx context.Context, tx *writeTx, s *paylinks.CheckoutSession, meta any) error {
	cart, err := jsonValue(s.Cart)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO checkout_sessions (`+sessionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idArg(s.ID), idArg(s.AccountID), s.Livemode, nullIDArg(s.LinkID), string(s.Status), s.Amount, s.Currency,
		s.Email, s.SuccessURL, s.CancelURL, meta, nullIDArg(s.ChargeID), micro(s.CreatedAt), micro(s.ExpiresAt),
		nullMicro(s.CompletedAt), cart)
	if err != nil || s.Crypto == nil {
		return err
	}
	return insertSessionCrypto(ctx, tx, s)
}

// jsonText is v as JSON text for a TEXT column; an empty map is NULL.
func jsonText(v map[string]string) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// GetSession returns a session of the account and mode.
func (db *DB) GetSession(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.CheckoutSession, error) {
	s, err := scanSession(db.queryRow(ctx,
		`SELECT `+sessionCols+` FROM checkout_sessions WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode))
	return s, wrap("GetSession", err)
}

// SessionByID returns a session of any account.
func (db *DB) SessionByID(ctx context.Context, id paylinks.ID) (*paylinks.CheckoutSession, error) {
	s, err := scanSession(db.queryRow(ctx, `SELECT `+sessionCols+` FROM checkout_sessions WHERE id = ?`, idArg(id)))
	return s, wrap("SessionByID", err)
}

// ListSessions returns a page of the account's sessions in the mode, newest
// first, after f.After when it is set.
func (db *DB) ListSessions(ctx context.Context, f paylinks.SessionFilter) ([]paylinks.CheckoutSession, error) {
	q := listQuery{
		cols:  sessionCols,
		table: "checkout_sessions",
		where: `account_id = ? AND livemode = ?`,
		args:  []any{idArg(f.AccountID), f.Livemode},
		order: paylinks.ReverseChronological,
		limit: f.Limit,
	}
	if f.LinkID != nil {
		q.where += ` AND link_id = ?`
		q.args = append(q.args, idArg(*f.LinkID))
	}
	if f.After != nil {
		q.after = &cursor{id: idArg(*f.After), accountID: idArg(f.AccountID), livemode: f.Livemode}
	}
	sessions, _, err := list(ctx, db, q, scanSessionInto)
	if err != nil {
		return nil, wrap("ListSessions", err)
	}
	return sessions, nil
}

// ClaimSession reserves an open, unexpired session for the attempt claimID
// until until. See store.SessionStore.
func (db *DB) ClaimSession(ctx context.Context, id, claimID paylinks.ID, now, until time.Time) error {
	return wrap("ClaimSession", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET claim_id = ?, claim_until = ?
			WHERE id = ? AND status = 'open' AND expires_at > ?
			AND (claim_id IS NULL OR claim_id = ? OR claim_until <= ?)`,
			idArg(claimID), micro(until), idArg(id), micro(now), idArg(claimID), micro(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		var status string
		var expires int64
		if err := tx.QueryRowContext(ctx, `SELECT status, expires_at FROM checkout_sessions WHERE id = ?`,
			idArg(id)).Scan(&status, &expires); err != nil {
			return err
		}
		switch {
		case status != string(paylinks.SessionOpen):
			return fmt.Errorf("%w: session is %s", paylinks.ErrConflict, status)
		case expires <= micro(now):
			return fmt.Errorf("%w: session has expired", paylinks.ErrConflict)
		}
		return fmt.Errorf("%w: session is claimed by another payment", paylinks.ErrConflict)
	}))
}

// ReleaseSessionClaim drops the claim claimID on the session if it still
// holds it. ErrNotFound when the session is missing.
func (db *DB) ReleaseSessionClaim(ctx context.Context, id, claimID paylinks.ID) error {
	return wrap("ReleaseSessionClaim", db.releaseClaim(ctx, "checkout_sessions", id, claimID))
}

// PaySession records a payment attempt of a session and its charge in one
// transaction. See store.SessionStore.
func (db *DB) PaySession(ctx context.Context, w store.SessionChargeWrite) error {
	c := w.Charge
	if c == nil || c.SessionID == nil {
		return wrap("PaySession", errors.New("no charge, or a charge without a session"))
	}
	if w.NewSession == nil && w.SessionClaimID == nil {
		return wrap("PaySession", errors.New("neither a new session nor a session claim"))
	}
	chargeMeta, err := jsonText(c.Metadata)
	if err != nil {
		return wrap("PaySession", err)
	}
	var sessionMeta any
	if w.NewSession != nil {
		if sessionMeta, err = jsonText(w.NewSession.Metadata); err != nil {
			return wrap("PaySession", err)
		}
	}
	return wrap("PaySession", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if w.AttemptID != nil {
			if err := finishAttempt(ctx, tx, *w.AttemptID, c); err != nil {
				return err
			}
		}
		switch {
		case w.NewSession != nil:
			if err := insertSession(ctx, tx, w.NewSession, sessionMeta); err != nil {
				return err
			}
		case c.Accepted():
			res, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET status = 'complete', completed_at = ?,
					charge_id = ?, email = ?, claim_id = NULL, claim_until = NULL
				WHERE id = ? AND account_id = ? AND livemode = ? AND status = 'open' AND claim_id = ?`,
				micro(c.CreatedAt), idArg(c.ID), c.Email, idArg(*c.SessionID), idArg(c.AccountID), c.Livemode,
				idArg(*w.SessionClaimID))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%w: session does not hold claim %s", paylinks.ErrConflict, w.SessionClaimID)
			}
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET claim_id = NULL, claim_until = NULL
				WHERE id = ? AND claim_id = ?`, idArg(*c.SessionID), idArg(*w.SessionClaimID)); err != nil {
				return err
			}
		}
		return createCharge(ctx, tx, w.ChargeWrite, chargeMeta)
	}))
}

func scanSession(row scanner) (*paylinks.CheckoutSession, error) {
	return scanOne(row, scanSessionInto)
}

func scanSessionInto(row scanner, s *paylinks.CheckoutSession) error {
	var linkID, chargeID uuid.NullUUID
	var status string
	var meta, cart sql.NullString
	var created, expires int64
	var completed sql.NullInt64
	err := row.Scan(&s.ID, &s.AccountID, &s.Livemode, &linkID, &status, &s.Amount, &s.Currency, &s.Email,
		&s.SuccessURL, &s.CancelURL, &meta, &chargeID, &created, &expires, &completed, &cart)
	if err != nil {
		return err
	}
	if cart.Valid {
		if err := json.Unmarshal([]byte(cart.String), &s.Cart); err != nil {
			return fmt.Errorf("session %s: cart: %w", s.ID, err)
		}
	}
	s.LinkID, s.ChargeID = fromNullID(linkID), fromNullID(chargeID)
	s.Status = paylinks.SessionStatus(status)
	if meta.Valid {
		if err := json.Unmarshal([]byte(meta.String), &s.Metadata); err != nil {
			return fmt.Errorf("session %s: metadata: %w", s.ID, err)
		}
	}
	s.CreatedAt, s.ExpiresAt, s.CompletedAt = fromMicro(created), fromMicro(expires), fromNullMicro(completed)
	return nil
}
