package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks"
)

const tokenCols = `id, account_id, livemode, card_id, card_brand, card_first6, card_last4,
	card_exp_month, card_exp_year, card_name, card_fingerprint, card_security_code_check,
	processor_ref, used, charge_status, created_at`

// CreateToken inserts a token. ErrConflict when the id is taken.
func (db *DB) CreateToken(ctx context.Context, t *paylinks.Token) error {
	return wrap("CreateToken", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(t.ID), idArg(t.AccountID), t.Livemode, idArg(t.CardID), t.Card.Brand, t.Card.FirstDigits,
			t.Card.LastDigits, t.Card.ExpirationMonth, t.Card.ExpirationYear, t.Card.Name, t.Card.Fingerprint,
			t.Card.SecurityCodeCheck, t.ProcessorRef, t.Used, t.ChargeStatus, micro(t.CreatedAt))
		return err
	}))
}

// GetToken returns a token of the account and mode.
func (db *DB) GetToken(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Token, error) {
	t, err := scanToken(db.queryRow(ctx,
		`SELECT `+tokenCols+` FROM tokens WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode))
	return t, wrap("GetToken", err)
}

// UseToken marks an unused token of the account and mode used and returns
// it. ErrConflict when it is already used, ErrNotFound when missing.
func (db *DB) UseToken(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Token, error) {
	var t *paylinks.Token
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `UPDATE tokens SET used = 1
			WHERE id = ? AND account_id = ? AND livemode = ? AND used = 0 RETURNING `+tokenCols,
			idArg(id), idArg(accountID), livemode))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(id), idArg(accountID), livemode).Scan(&one)
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: token already used", paylinks.ErrConflict)
	})
	if err != nil {
		return nil, wrap("UseToken", err)
	}
	return t, nil
}

func scanToken(row scanner) (*paylinks.Token, error) {
	var t paylinks.Token
	var created int64
	err := row.Scan(&t.ID, &t.AccountID, &t.Livemode, &t.CardID, &t.Card.Brand, &t.Card.FirstDigits,
		&t.Card.LastDigits, &t.Card.ExpirationMonth, &t.Card.ExpirationYear, &t.Card.Name, &t.Card.Fingerprint,
		&t.Card.SecurityCodeCheck, &t.ProcessorRef, &t.Used, &t.ChargeStatus, &created)
	if err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicro(created)
	return &t, nil
}
