package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
)

const keyColumns = `id, account_id, livemode, kind, scopes, prefix, hash, created_at, revoked_at`

// CreateKey inserts an API key: its hash and prefix, never the key.
// ErrConflict when its id or hash is taken.
func (db *DB) CreateKey(ctx context.Context, k *paylinks.APIKey) (err error) {
	defer wrap(&err, "CreateKey")
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO api_keys (`+keyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.AccountID, k.Livemode, string(k.Kind), scopes, k.Prefix, k.Hash, ts(k.CreatedAt), tsp(k.RevokedAt))
	return err
}

// KeyByHash returns the key whose SHA-256 hash is hash, revoked or not.
func (db *DB) KeyByHash(ctx context.Context, hash []byte) (_ *paylinks.APIKey, err error) {
	defer wrap(&err, "KeyByHash")
	return scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = $1`, hash))
}

// ListKeys returns every key of every account, oldest first.
func (db *DB) ListKeys(ctx context.Context) (_ []paylinks.APIKey, err error) {
	defer wrap(&err, "ListKeys")
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []paylinks.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, *k)
	}
	return keys, rows.Err()
}

// RevokeKey sets revoked_at on the one unrevoked key whose prefix is prefix
// and returns it. ErrNotFound when none matches, ErrConflict when several
// do (nothing is revoked then).
func (db *DB) RevokeKey(ctx context.Context, prefix string, at time.Time) (_ *paylinks.APIKey, err error) {
	defer wrap(&err, "RevokeKey")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)

	rows, err := tx.Query(ctx,
		`SELECT id FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL FOR UPDATE`, prefix)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[paylinks.ID])
	if err != nil {
		return nil, err
	}
	switch {
	case len(ids) == 0:
		return nil, pgx.ErrNoRows
	case len(ids) > 1:
		return nil, fmt.Errorf("%d unrevoked keys have prefix %q: %w", len(ids), prefix, paylinks.ErrConflict)
	}
	k, err := scanKey(tx.QueryRow(ctx,
		`UPDATE api_keys SET revoked_at = $2 WHERE id = $1 RETURNING `+keyColumns, ids[0], ts(at)))
	if err != nil {
		return nil, err
	}
	return k, tx.Commit(ctx)
}

func scanKey(row rowScanner) (*paylinks.APIKey, error) {
	var (
		k      paylinks.APIKey
		kind   string
		scopes []string
	)
	if err := row.Scan(&k.ID, &k.AccountID, &k.Livemode, &kind, &scopes, &k.Prefix, &k.Hash, &k.CreatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	k.Kind = paylinks.KeyKind(kind)
	if len(scopes) > 0 {
		k.Scopes = make([]paylinks.Scope, len(scopes))
		for i, s := range scopes {
			k.Scopes[i] = paylinks.Scope(s)
		}
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.RevokedAt = utc(k.RevokedAt)
	return &k, nil
}
