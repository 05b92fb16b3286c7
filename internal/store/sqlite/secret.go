package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ServerSecret returns the secret called name, storing generate's value
// first when there is none. The insert does nothing when the name is taken
// and the value is read back in the same write transaction, so callers
// racing to create it (in this process or another on the same file) all get
// the value that won.
func (db *DB) ServerSecret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	const get = `SELECT value FROM server_secrets WHERE name = ?`
	var v []byte
	err := db.queryRow(ctx, get, name).Scan(&v)
	if !errors.Is(err, sql.ErrNoRows) {
		if err != nil {
			return nil, wrap("ServerSecret", err)
		}
		return v, nil
	}
	fresh, err := generate()
	if err != nil {
		return nil, wrap("ServerSecret", fmt.Errorf("generate %q: %w", name, err))
	}
	if len(fresh) == 0 {
		return nil, wrap("ServerSecret", fmt.Errorf("generate %q: empty secret", name))
	}
	err = db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, get, name).Scan(&v)
	})
	if err != nil {
		return nil, wrap("ServerSecret", err)
	}
	return v, nil
}
