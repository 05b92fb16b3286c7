package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
)

const tokenColumns = `id, account_id, livemode, card_id, ` + cardColumns + `,
	processor_ref, used, charge_status, created_at`

// CreateToken inserts a token. An empty ChargeStatus is stored as "unknown".
func (db *DB) CreateToken(ctx context.Context, t *paylinks.Token) (err error) {
	defer wrap(&err, "CreateToken")
	chargeStatus := t.ChargeStatus
	if chargeStatus == "" {
		chargeStatus = "unknown"
	}
	c := &t.Card
	_, err = db.pool.Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		t.ID, t.AccountID, t.Livemode, t.CardID,
		c.Brand, c.FirstDigits, c.LastDigits, c.ExpirationMonth, c.ExpirationYear, c.Name, c.Fingerprint, c.SecurityCodeCheck,
		t.ProcessorRef, t.Used, chargeStatus, ts(t.CreatedAt))
	return err
}

// GetToken returns a token of the account and mode.
func (db *DB) GetToken(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.Token, err error) {
	defer wrap(&err, "GetToken")
	return scanToken(db.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// UseToken marks an unused token used, in one conditional UPDATE, and
// returns it. ErrConflict when it is already used, ErrNotFound when missing.
func (db *DB) UseToken(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.Token, err error) {
	defer wrap(&err, "UseToken")
	t, err := scanToken(db.pool.QueryRow(ctx, `UPDATE tokens SET used = true
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND used = false
		RETURNING `+tokenColumns, id, accountID, livemode))
	if !errors.Is(err, pgx.ErrNoRows) {
		return t, err
	}
	// Not marked: say why. This read decides only the error, never a write.
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens
		WHERE id = $1 AND account_id = $2 AND livemode = $3)`, id, accountID, livemode).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, pgx.ErrNoRows
	}
	return nil, fmt.Errorf("token is used: %w", paylinks.ErrConflict)
}

func scanToken(row rowScanner) (*paylinks.Token, error) {
	var t paylinks.Token
	c := &t.Card
	if err := row.Scan(&t.ID, &t.AccountID, &t.Livemode, &t.CardID,
		&c.Brand, &c.FirstDigits, &c.LastDigits, &c.ExpirationMonth, &c.ExpirationYear, &c.Name, &c.Fingerprint, &c.SecurityCodeCheck,
		&t.ProcessorRef, &t.Used, &t.ChargeStatus, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}
