package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const attemptColumns = `id, account_id, livemode, kind, link_id, session_id, token_id, claims_link, claims_session,
	amount, currency, description, capture, processor_ref, card_id, ` + cardColumns + `,
	email, metadata, idempotency_key, status, charge_id, created_at, lease_until, ip, cart, redeems`

// claimFree is the condition under which a link's or session's claim may be
// taken by another attempt ($4 is now): it has ended and no pending attempt
// holds it, for a claim held by a pending attempt lasts until the attempt
// is settled.
const claimFree = `(claim_until <= $4 AND NOT EXISTS (SELECT 1 FROM payment_attempts p
	WHERE p.id = claim_id AND p.status = 'pending'))`

// BeginAttempt inserts a pending payment attempt with the claims and the
// token it takes, in one transaction. See store.AttemptStore.
func (db *DB) BeginAttempt(ctx context.Context, a *store.PaymentAttempt, idem *paylinks.IdempotencyRecord, now, until time.Time) (err error) {
	defer wrap(&err, "BeginAttempt")
	meta, err := jsonMap(a.Metadata)
	if err != nil {
		return err
	}
	if !a.ClaimsSession && !a.ClaimsLink && a.TokenID == nil && idem == nil && len(a.Redeems) == 0 {
		// Only the row (a multi-use link's payment): one statement, its
		// own transaction.
		return insertAttempt(ctx, db.pool, a, meta)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if a.ClaimsSession {
		if a.SessionID == nil {
			return errors.New("a session claim without a session")
		}
		tag, err := tx.Exec(ctx, `UPDATE checkout_sessions SET claim_id = $1, claim_until = $2
			WHERE id = $3 AND status = 'open' AND expires_at > $4
			AND (claim_id IS NULL OR claim_id = $1 OR `+claimFree+`)`, a.ID, ts(until), *a.SessionID, ts(now))
		if err := claimed(tag, err, "session"); err != nil {
			return err
		}
	}
	if a.ClaimsLink {
		if a.LinkID == nil {
			return errors.New("a link claim without a link")
		}
		tag, err := tx.Exec(ctx, `UPDATE links SET claim_id = $1, claim_until = $2
			WHERE id = $3 AND (multiple = false OR payment_limit > 0) AND used = false AND deleted_at IS NULL
			AND (claim_id IS NULL OR claim_id = $1 OR `+claimFree+`)`, a.ID, ts(until), *a.LinkID, ts(now))
		if err := claimed(tag, err, "link"); err != nil {
			return err
		}
	}
	if a.TokenID != nil {
		k := &a.Card
		err := tx.QueryRow(ctx, `UPDATE tokens SET used = true
			WHERE id = $1 AND account_id = $2 AND livemode = $3 AND used = false
			RETURNING card_id, `+cardColumns+`, processor_ref`, *a.TokenID, a.AccountID, a.Livemode).Scan(
			&a.CardID, &k.Brand, &k.FirstDigits, &k.LastDigits, &k.ExpirationMonth, &k.ExpirationYear, &k.Name,
			&k.Fingerprint, &k.SecurityCodeCheck, &a.ProcessorRef)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens
				WHERE id = $1 AND account_id = $2 AND livemode = $3)`, *a.TokenID, a.AccountID, a.Livemode).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return pgx.ErrNoRows
			}
			return fmt.Errorf("token is used: %w", paylinks.ErrConflict)
		}
		if err != nil {
			return err
		}
	}
	for _, id := range a.Redeems {
		// Under concurrency the row lock orders the updates, and each
		// re-reads times_redeemed before it counts: no limit is exceeded.
		tag, err := tx.Exec(ctx, `UPDATE catalog_items SET times_redeemed = times_redeemed + 1
			WHERE id = $1 AND account_id = $2 AND livemode = $3 AND active
			AND (max_redemptions = 0 OR times_redeemed < max_redemptions)
			AND (redeem_until IS NULL OR redeem_until > $4)`, id, a.AccountID, a.Livemode, ts(now))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrRedemptionRefused
		}
	}
	if err := insertAttempt(ctx, tx, a, meta); err != nil {
		return err
	}
	if idem != nil {
		if err := markIdempotency(ctx, tx, idem, a.ID); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insertAttempt inserts the pending attempt a; meta is its metadata as
// jsonMap made it.
func insertAttempt(ctx context.Context, q execer, a *store.PaymentAttempt, meta any) error {
	k := &a.Card
	cart, err := jsonValue(a.Cart)
	if err != nil {
		return err
	}
	redeems, err := jsonValue(a.Redeems)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO payment_attempts (`+attemptColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
		$22, $23, $24, $25, $26, 'pending', NULL, $27, NULL, $28, $29, $30)`,
		a.ID, a.AccountID, a.Livemode, string(a.Kind), a.LinkID, a.SessionID, a.TokenID, a.ClaimsLink, a.ClaimsSession,
		a.Amount, a.Currency, a.Description, a.Capture, a.ProcessorRef, a.CardID,
		k.Brand, k.FirstDigits, k.LastDigits, k.ExpirationMonth, k.ExpirationYear, k.Name, k.Fingerprint, k.SecurityCodeCheck,
		a.Email, meta, a.IdempotencyKey, ts(a.CreatedAt), a.IP, cart, redeems)
	return err
}

// jsonValue is v as JSON for a jsonb column; a nil pointer or an empty
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

// giveBackRedemptions undoes the redemptions of a declined or voided
// attempt, whose redeems column is redeems.
func giveBackRedemptions(ctx context.Context, tx pgx.Tx, redeems []byte) error {
	if redeems == nil {
		return nil
	}
	var ids []paylinks.ID
	if err := json.Unmarshal(redeems, &ids); err != nil {
		return fmt.Errorf("redeems: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE catalog_items SET times_redeemed = times_redeemed - 1
			WHERE id = $1 AND times_redeemed > 0`, id); err != nil {
			return err
		}
	}
	return nil
}

// claimed turns the result of a claim's UPDATE into nil (claimed) or
// ErrConflict.
func claimed(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("the %s cannot be claimed (paid, closed, or held by another payment): %w", what, paylinks.ErrConflict)
	}
	return nil
}

// finishAttempt marks the pending attempt id settled by charge c, in tx;
// store.ErrAttemptSettled when it is not pending.
func finishAttempt(ctx context.Context, tx pgx.Tx, id paylinks.ID, c *paylinks.Charge) error {
	status := store.AttemptFailed
	if c.Status == paylinks.ChargeSuccessful || c.Status == paylinks.ChargePending {
		status = store.AttemptSucceeded
	}
	var redeems []byte
	err := tx.QueryRow(ctx, `UPDATE payment_attempts SET status = $1, charge_id = $2, lease_until = NULL
		WHERE id = $3 AND status = 'pending' RETURNING redeems`, string(status), c.ID, id).Scan(&redeems)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrAttemptSettled
	}
	if err != nil || status == store.AttemptSucceeded {
		return err
	}
	return giveBackRedemptions(ctx, tx, redeems)
}

// GetAttempt returns a payment attempt by id.
func (db *DB) GetAttempt(ctx context.Context, id paylinks.ID) (_ *store.PaymentAttempt, err error) {
	defer wrap(&err, "GetAttempt")
	var a store.PaymentAttempt
	if err := scanAttempt(db.pool.QueryRow(ctx, `SELECT `+attemptColumns+` FROM payment_attempts WHERE id = $1`, id), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// VoidAttempt voids a pending attempt and releases what it holds, in one
// transaction. See store.AttemptStore.
func (db *DB) VoidAttempt(ctx context.Context, id paylinks.ID) (err error) {
	defer wrap(&err, "VoidAttempt")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var account paylinks.ID
	var livemode, claimsLink, claimsSession bool
	var link, session, token *paylinks.ID
	var redeems []byte
	err = tx.QueryRow(ctx, `UPDATE payment_attempts SET status = 'voided', lease_until = NULL
		WHERE id = $1 AND status = 'pending'
		RETURNING account_id, livemode, link_id, session_id, token_id, claims_link, claims_session, redeems`, id).Scan(
		&account, &livemode, &link, &session, &token, &claimsLink, &claimsSession, &redeems)
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payment_attempts WHERE id = $1)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return pgx.ErrNoRows
		}
		return store.ErrAttemptSettled
	}
	if err != nil {
		return err
	}
	if claimsLink && link != nil {
		if _, err := tx.Exec(ctx, `UPDATE links SET claim_id = NULL, claim_until = NULL
			WHERE id = $1 AND claim_id = $2`, *link, id); err != nil {
			return err
		}
	}
	if claimsSession && session != nil {
		if _, err := tx.Exec(ctx, `UPDATE checkout_sessions SET claim_id = NULL, claim_until = NULL
			WHERE id = $1 AND claim_id = $2`, *session, id); err != nil {
			return err
		}
	}
	if token != nil {
		if _, err := tx.Exec(ctx, `UPDATE tokens SET used = false WHERE id = $1 AND account_id = $2 AND livemode = $3`,
			*token, account, livemode); err != nil {
			return err
		}
	}
	if err := giveBackRedemptions(ctx, tx, redeems); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// LeaseAttempts leases pending attempts for a reconciler: rows another
// replica is leasing at this moment are skipped (FOR UPDATE SKIP LOCKED),
// and a leased row is not taken again until its lease ends. See
// store.AttemptStore.
func (db *DB) LeaseAttempts(ctx context.Context, id *paylinks.ID, createdBefore, now, until time.Time, limit int) (_ []store.PaymentAttempt, err error) {
	defer wrap(&err, "LeaseAttempts")
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT id FROM payment_attempts
			WHERE status = 'pending' AND created_at <= $2 AND (lease_until IS NULL OR lease_until <= $3)
				AND ($4::uuid IS NULL OR id = $4)
			ORDER BY created_at, id LIMIT $5
			FOR UPDATE SKIP LOCKED)
		UPDATE payment_attempts a SET lease_until = $1 FROM due WHERE a.id = due.id
		RETURNING `+prefixed("a.", attemptColumns), ts(until), ts(createdBefore), ts(now), id, limit)
	if err != nil {
		return nil, err
	}
	out, err := collectInto(rows, scanAttempt)
	if err != nil {
		return nil, err
	}
	sortAttempts(out)
	return out, nil
}

// prefixed returns the comma-separated columns cols, each prefixed with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// sortAttempts orders attempts oldest first, by (created_at, id).
func sortAttempts(as []store.PaymentAttempt) {
	slices.SortFunc(as, func(a, b store.PaymentAttempt) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
}

func scanAttempt(row rowScanner, a *store.PaymentAttempt) error {
	var kind, status string
	var meta, cart, redeems []byte
	k := &a.Card
	if err := row.Scan(&a.ID, &a.AccountID, &a.Livemode, &kind, &a.LinkID, &a.SessionID, &a.TokenID, &a.ClaimsLink,
		&a.ClaimsSession, &a.Amount, &a.Currency, &a.Description, &a.Capture, &a.ProcessorRef, &a.CardID,
		&k.Brand, &k.FirstDigits, &k.LastDigits, &k.ExpirationMonth, &k.ExpirationYear, &k.Name, &k.Fingerprint,
		&k.SecurityCodeCheck, &a.Email, &meta, &a.IdempotencyKey, &status, &a.ChargeID, &a.CreatedAt,
		&a.LeaseUntil, &a.IP, &cart, &redeems); err != nil {
		return err
	}
	if cart != nil {
		if err := json.Unmarshal(cart, &a.Cart); err != nil {
			return fmt.Errorf("attempt %s cart: %w", a.ID, err)
		}
	}
	if redeems != nil {
		if err := json.Unmarshal(redeems, &a.Redeems); err != nil {
			return fmt.Errorf("attempt %s redeems: %w", a.ID, err)
		}
	}
	a.Kind, a.Status = store.AttemptKind(kind), store.AttemptStatus(status)
	if meta != nil {
		if err := json.Unmarshal(meta, &a.Metadata); err != nil {
			return fmt.Errorf("attempt %s metadata: %w", a.ID, err)
		}
	}
	a.CreatedAt, a.LeaseUntil = a.CreatedAt.UTC(), utc(a.LeaseUntil)
	return nil
}
