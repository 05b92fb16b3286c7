package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paylinks/paylinks"
)

// CreateAccount inserts an account. ErrConflict when the id or name is taken.
func (db *DB) CreateAccount(ctx context.Context, a *paylinks.Account) (err error) {
	defer wrap(&err, "CreateAccount")
	_, err = db.pool.Exec(ctx,
		`INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)`,
		a.ID, a.Name, ts(a.CreatedAt))
	return err
}

// GetAccount returns an account by id.
func (db *DB) GetAccount(ctx context.Context, id paylinks.ID) (_ *paylinks.Account, err error) {
	defer wrap(&err, "GetAccount")
	return scanAccount(db.pool.QueryRow(ctx,
		`SELECT id, name, created_at FROM accounts WHERE id = $1`, id))
}

// AccountByName returns the account with that name.
func (db *DB) AccountByName(ctx context.Context, name string) (_ *paylinks.Account, err error) {
	defer wrap(&err, "AccountByName")
	return scanAccount(db.pool.QueryRow(ctx,
		`SELECT id, name, created_at FROM accounts WHERE name = $1`, name))
}

// CountAccounts returns how many accounts exist.
func (db *DB) CountAccounts(ctx context.Context) (n int, err error) {
	defer wrap(&err, "CountAccounts")
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, err
}

func scanAccount(row rowScanner) (*paylinks.Account, error) {
	var a paylinks.Account
	if err := row.Scan(&a.ID, &a.Name, &a.CreatedAt); err != nil {
		return nil, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return &a, nil
}

// rowScanner is a pgx.Row or pgx.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// collect scans every row with scan and closes rows; an error in rows
// comes back with the rows scanned before it.
func collect[T any](rows pgx.Rows, scan func(rowScanner) (*T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// collectInto is collect for a scan function that fills a value in place.
func collectInto[T any](rows pgx.Rows, scan func(rowScanner, *T) error) ([]T, error) {
	return collect(rows, func(row rowScanner) (*T, error) {
		v := new(T)
		return v, scan(row, v)
	})
}
