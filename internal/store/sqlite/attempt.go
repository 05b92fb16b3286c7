package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const attemptCols = `id, account_id, livemode, kind, link_id, session_id, token_id, claims_link, claims_session,
	amount, currency, description, capture, processor_ref,
	card_id, card_brand, card_first6, card_last4, card_exp_month, card_exp_year, card_name,
	card_fingerprint, card_security_code_check, email, metadata, idempotency_key, status, charge_id,
	created_at, lease_until, ip, cart, redeems`

// claimFree is the condition under which a link's or session's claim may be
// taken by another attempt (its argument is now): it has ended and no
// pending attempt holds it, for a claim held by a pending attempt lasts
// until the attempt is settled.
const claimFree = `(claim_until <= ? AND NOT EXISTS (SELECT 1 FROM payment_attempts p
	WHERE p.id = claim_id AND p.status = 'pending'))`

// BeginAttempt inserts a pending payment attempt with the claims and the
// token it takes, in one transaction. See store.AttemptStore.
func (db *DB) BeginAttempt(ctx context.Context, a *store.PaymentAttempt, idem *paylinks.IdempotencyRecord, now, until time.Time) error {
	meta, err := jsonText(a.Metadata)
	if err != nil {
		return wrap("BeginAttempt", err)
	}
	cart, err := jsonValue(a.Cart)
	if err != nil {
		return wrap("BeginAttempt", err)
	}
	redeems, err := jsonValue(a.Redeems)
	if err != nil {
		return wrap("BeginAttempt", err)
	}
	if !a.ClaimsSession && !a.ClaimsLink && a.TokenID == nil && idem == nil && len(a.Redeems) == 0 {
		// Only a row to insert (a multi-use link's payment): grouped with
		// the batch's other such rows in one statement.
		return wrap("BeginAttempt", db.execRows(ctx, []tableRow{attemptRow(a, meta, cart, redeems)}))
	}
	return wrap("BeginAttempt", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if a.ClaimsSession {
			if a.SessionID == nil {
				return errors.New("a session claim without a session")
			}
			res, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET claim_id = ?, claim_until = ?
				WHERE id = ? AND status = 'open' AND expires_at > ?
				AND (claim_id IS NULL OR claim_id = ? OR `+claimFree+`)`,
				idArg(a.ID), micro(until), idArg(*a.SessionID), micro(now), idArg(a.ID), micro(now))
			if err := claimed(res, err, "session"); err != nil {
				return err
			}
		}
		if a.ClaimsLink {
			if a.LinkID == nil {
				return errors.New("a link claim without a link")
			}
			res, err := tx.ExecContext(ctx, `UPDATE links SET claim_id = ?, claim_until = ?
				WHERE id = ? AND (multiple = 0 OR payment_limit > 0) AND used = 0 AND deleted_at IS NULL
				AND (claim_id IS NULL OR claim_id = ? OR `+claimFree+`)`,
				idArg(a.ID), micro(until), idArg(*a.LinkID), idArg(a.ID), micro(now))
			if err := claimed(res, err, "link"); err != nil {
				return err
			}
		}
		if a.TokenID != nil {
			k := &a.Card
			err := tx.QueryRowContext(ctx, `UPDATE tokens SET used = 1
				WHERE id = ? AND account_id = ? AND livemode = ? AND used = 0
				RETURNING card_id, card_brand, card_first6, card_last4, card_exp_month, card_exp_year, card_name,
					card_fingerprint, card_security_code_check, processor_ref`,
				idArg(*a.TokenID), idArg(a.AccountID), a.Livemode).Scan(&a.CardID, &k.Brand, &k.FirstDigits,
				&k.LastDigits, &k.ExpirationMonth, &k.ExpirationYear, &k.Name, &k.Fingerprint, &k.SecurityCodeCheck,
				&a.ProcessorRef)
			if errors.Is(err, sql.ErrNoRows) {
				var one int
				if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE id = ? AND account_id = ? AND livemode = ?`,
					idArg(*a.TokenID), idArg(a.AccountID), a.Livemode).Scan(&one); err != nil {
					return err
				}
				return fmt.Errorf("%w: token already used", paylinks.ErrConflict)
			}
			if err != nil {
				return err
			}
		}
		for _, id := range a.Redeems {
			res, err := tx.ExecContext(ctx, `UPDATE catalog_items SET times_redeemed = times_redeemed + 1
				WHERE id = ? AND account_id = ? AND livemode = ? AND active = 1
				AND (max_redemptions = 0 OR times_redeemed < max_redemptions)
				AND (redeem_until IS NULL OR redeem_until > ?)`, idArg(id), idArg(a.AccountID), a.Livemode, micro(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return store.ErrRedemptionRefused
			}
		}
		if _, err := tx.ExecContext(ctx, tx.w.cachedInsertSQL(attemptInsertInto, attemptNumCols, 1), attemptRow(a, meta, cart, redeems).values...); err != nil {
			return err
		}
		if idem != nil {
			return markIdempotency(ctx, tx, idem, a.ID)
		}
		return nil
	}))
}

const (
	attemptInsertInto = `payment_attempts (` + attemptCols + `)`
	attemptNumCols    = 33
)

// attemptRow is the row of the pending attempt a; meta is its metadata as
// jsonText made it, cart and redeems its Cart and Redeems as jsonValue did.
func attemptRow(a *store.PaymentAttempt, meta, cart, redeems any) tableRow {
	k := &a.Card
	return tableRow{into: attemptInsertInto, values: []any{idArg(a.ID), idArg(a.AccountID), a.Livemode, string(a.Kind),
		nullIDArg(a.LinkID), nullIDArg(a.SessionID), nullIDArg(a.TokenID), a.ClaimsLink, a.ClaimsSession, a.Amount,
		a.Currency, a.Description, a.Capture, a.ProcessorRef, idArg(a.CardID), k.Brand, k.FirstDigits, k.LastDigits,
		k.ExpirationMonth, k.ExpirationYear, k.Name, k.Fingerprint, k.SecurityCodeCheck, a.Email, meta,
		a.IdempotencyKey, string(store.AttemptPending), nil, micro(a.CreatedAt), nil, a.IP, cart, redeems}}
}

// claimed turns the result of a claim's UPDATE into nil (claimed) or
// ErrConflict.
func claimed(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: the %s cannot be claimed (paid, closed, or held by another payment)", paylinks.ErrConflict, what)
	}
	return nil
}

// finishAttempt marks the pending attempt id settled by charge c, in tx;
// store.ErrAttemptSettled when it is not pending.
func finishAttempt(ctx context.Context, tx *writeTx, id paylinks.ID, c *paylinks.Charge) error {
	status := store.AttemptFailed
	if c.Status == paylinks.ChargeSuccessful || c.Status == paylinks.ChargePending {
		status = store.AttemptSucceeded
	}
	var redeems sql.NullString
	err := tx.QueryRowContext(ctx, `UPDATE payment_attempts SET status = ?, charge_id = ?, lease_until = NULL
		WHERE id = ? AND status = 'pending' RETURNING redeems`, string(status), idArg(c.ID), idArg(id)).Scan(&redeems)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrAttemptSettled
	}
	if err != nil || status == store.AttemptSucceeded {
		return err
	}
	return giveBackRedemptions(ctx, tx, redeems)
}

// giveBackRedemptions undoes the redemptions of a declined or voided
// attempt, whose redeems column is redeems.
func giveBackRedemptions(ctx context.Context, tx *writeTx, redeems sql.NullString) error {
	if !redeems.Valid {
		return nil
	}
	var ids []paylinks.ID
	if err := json.Unmarshal([]byte(redeems.String), &ids); err != nil {
		return fmt.Errorf("redeems: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE catalog_items SET times_redeemed = times_redeemed - 1
			WHERE id = ? AND times_redeemed > 0`, idArg(id)); err != nil {
			return err
		}
	}
	return nil
}

// jsonValue is v as JSON text for a TEXT column; a nil pointer or an empty
// slice is NULL.
func jsonValue[T any](v T) (any, error) {
	switch x := any(v).(type) {
	case *paylinks.SessionCart:
		if x == nil {
			return nil, nil
		}
	case []paylinks.ID:
		if len(x) == 0 {
			return nil, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// GetAttempt returns a payment attempt by id.
func (db *DB) GetAttempt(ctx context.Context, id paylinks.ID) (*store.PaymentAttempt, error) {
	a, err := scanOne(db.queryRow(ctx, `SELECT `+attemptCols+` FROM payment_attempts WHERE id = ?`, idArg(id)), scanAttemptInto)
	return a, wrap("GetAttempt", err)
}

// VoidAttempt voids a pending attempt and releases what it holds. See
// store.AttemptStore.
func (db *DB) VoidAttempt(ctx context.Context, id paylinks.ID) error {
	return wrap("VoidAttempt", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var account paylinks.ID
		var livemode, claimsLink, claimsSession bool
		var link, session, token uuid.NullUUID
		var redeems sql.NullString
		err := tx.QueryRowContext(ctx, `UPDATE payment_attempts SET status = 'voided', lease_until = NULL
			WHERE id = ? AND status = 'pending'
			RETURNING account_id, livemode, link_id, session_id, token_id, claims_link, claims_session, redeems`,
			idArg(id)).Scan(&account, &livemode, &link, &session, &token, &claimsLink, &claimsSession, &redeems)
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM payment_attempts WHERE id = ?`, idArg(id)).Scan(&one); err != nil {
				return err
			}
			return store.ErrAttemptSettled
		}
		if err != nil {
			return err
		}
		if claimsLink && link.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE links SET claim_id = NULL, claim_until = NULL
				WHERE id = ? AND claim_id = ?`, link.UUID[:], idArg(id)); err != nil {
				return err
			}
		}
		if claimsSession && session.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET claim_id = NULL, claim_until = NULL
				WHERE id = ? AND claim_id = ?`, session.UUID[:], idArg(id)); err != nil {
				return err
			}
		}
		if token.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE tokens SET used = 0 WHERE id = ? AND account_id = ? AND livemode = ?`,
				token.UUID[:], idArg(account), livemode); err != nil {
				return err
			}
		}
		return giveBackRedemptions(ctx, tx, redeems)
	}))
}

// LeaseAttempts leases pending attempts for a reconciler, with one
// conditional UPDATE (the one writer serialises reconcilers). See
// store.AttemptStore.
func (db *DB) LeaseAttempts(ctx context.Context, id *paylinks.ID, createdBefore, now, until time.Time, limit int) ([]store.PaymentAttempt, error) {
	var out []store.PaymentAttempt
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		where := `status = 'pending' AND created_at <= ? AND (lease_until IS NULL OR lease_until <= ?)`
		args := []any{micro(until), micro(createdBefore), micro(now)}
		if id != nil {
			where += ` AND id = ?`
			args = append(args, idArg(*id))
		}
		args = append(args, limit)
		rows, err := tx.Tx.QueryContext(ctx, `UPDATE payment_attempts SET lease_until = ?
			WHERE id IN (SELECT id FROM payment_attempts WHERE `+where+` ORDER BY created_at, id LIMIT ?)
			RETURNING `+attemptCols, args...)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanAttemptInto)
		return err
	})
	if err != nil {
		return nil, wrap("LeaseAttempts", err)
	}
	slices.SortFunc(out, func(a, b store.PaymentAttempt) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	return out, nil
}

func scanAttemptInto(row scanner, a *store.PaymentAttempt) error {
	var link, session, token, charge uuid.NullUUID
	var kind, status string
	var meta, cart, redeems sql.NullString
	var created int64
	var lease sql.NullInt64
	k := &a.Card
	err := row.Scan(&a.ID, &a.AccountID, &a.Livemode, &kind, &link, &session, &token, &a.ClaimsLink, &a.ClaimsSession,
		&a.Amount, &a.Currency, &a.Description, &a.Capture, &a.ProcessorRef,
		&a.CardID, &k.Brand, &k.FirstDigits, &k.LastDigits, &k.ExpirationMonth, &k.ExpirationYear, &k.Name,
		&k.Fingerprint, &k.SecurityCodeCheck, &a.Email, &meta, &a.IdempotencyKey, &status, &charge, &created, &lease, &a.IP, &cart, &redeems)
	if err != nil {
		return err
	}
	if cart.Valid {
		if err := json.Unmarshal([]byte(cart.String), &a.Cart); err != nil {
			return fmt.Errorf("attempt %s: cart: %w", a.ID, err)
		}
	}
	if redeems.Valid {
		if err := json.Unmarshal([]byte(redeems.String), &a.Redeems); err != nil {
			return fmt.Errorf("attempt %s: redeems: %w", a.ID, err)
		}
	}
	a.Kind, a.Status = store.AttemptKind(kind), store.AttemptStatus(status)
	a.LinkID, a.SessionID, a.TokenID, a.ChargeID = fromNullID(link), fromNullID(session), fromNullID(token), fromNullID(charge)
	if meta.Valid {
		if err := json.Unmarshal([]byte(meta.String), &a.Metadata); err != nil {
			return fmt.Errorf("attempt %s: metadata: %w", a.ID, err)
		}
	}
	a.CreatedAt, a.LeaseUntil = fromMicro(created), fromNullMicro(lease)
	return nil
}
