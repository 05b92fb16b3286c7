package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ServerSecret returns the secret called name, storing generate's value
// first when there is none. Processes racing to create it all get the value
// that won: the insert does nothing on a conflict (waiting for a concurrent
// insert of the same name to commit), and the value is read back after it.
func (db *DB) ServerSecret(ctx context.Context, name string, generate func() ([]byte, error)) (_ []byte, err error) {
	defer wrap(&err, "ServerSecret")
	const get = `SELECT value FROM server_secrets WHERE name = $1`
	var v []byte
	err = db.pool.QueryRow(ctx, get, name).Scan(&v)
	if !errors.Is(err, pgx.ErrNoRows) {
		return v, err
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("generate %q: %w", name, err)
	}
	if len(fresh) == 0 {
		return nil, fmt.Errorf("generate %q: empty secret", name)
	}
	if _, err := db.pool.Exec(ctx,
		`INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, fresh); err != nil {
		return nil, err
	}
	if err := db.pool.QueryRow(ctx, get, name).Scan(&v); err != nil {
		return nil, err
	}
	return v, nil
}
