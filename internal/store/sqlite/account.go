package sqlite

import (
	"context"

	"github.com/paylinks/paylinks"
)

// CreateAccount inserts an account. ErrConflict when the id or name is taken.
func (db *DB) CreateAccount(ctx context.Context, a *paylinks.Account) error {
	return wrap("CreateAccount", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`,
			idArg(a.ID), a.Name, micro(a.CreatedAt))
		return err
	}))
}

// GetAccount returns an account by id.
func (db *DB) GetAccount(ctx context.Context, id paylinks.ID) (*paylinks.Account, error) {
	a, err := scanAccount(db.queryRow(ctx,
		`SELECT id, name, created_at FROM accounts WHERE id = ?`, idArg(id)))
	return a, wrap("GetAccount", err)
}

// AccountByName returns the account with that name.
func (db *DB) AccountByName(ctx context.Context, name string) (*paylinks.Account, error) {
	a, err := scanAccount(db.queryRow(ctx,
		`SELECT id, name, created_at FROM accounts WHERE name = ?`, name))
	return a, wrap("AccountByName", err)
}

// CountAccounts returns how many accounts exist.
func (db *DB) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, wrap("CountAccounts", err)
}

func scanAccount(row scanner) (*paylinks.Account, error) {
	var a paylinks.Account
	var created int64
	if err := row.Scan(&a.ID, &a.Name, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicro(created)
	return &a, nil
}
