package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
)

const keyCols = `id, account_id, livemode, kind, scopes, prefix, hash, created_at, revoked_at`

// CreateKey inserts an API key. ErrConflict when its id or hash is taken.
func (db *DB) CreateKey(ctx context.Context, k *paylinks.APIKey) error {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	return wrap("CreateKey", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(k.ID), idArg(k.AccountID), k.Livemode, string(k.Kind), strings.Join(scopes, " "),
			k.Prefix, k.Hash, micro(k.CreatedAt), nullMicro(k.RevokedAt))
		return err
	}))
}

// KeyByHash returns the key whose SHA-256 hash is hash, revoked or not.
func (db *DB) KeyByHash(ctx context.Context, hash []byte) (*paylinks.APIKey, error) {
	k, err := scanKey(db.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = ?`, hash))
	return k, wrap("KeyByHash", err)
}

// ListKeys returns every key of every account, oldest first.
func (db *DB) ListKeys(ctx context.Context) ([]paylinks.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap("ListKeys", err)
	}
	defer rows.Close()
	var keys []paylinks.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, wrap("ListKeys", err)
		}
		keys = append(keys, *k)
	}
	return keys, wrap("ListKeys", rows.Err())
}

// RevokeKey sets revoked_at on the one unrevoked key with that prefix.
// ErrNotFound when none matches, ErrConflict when several do.
func (db *DB) RevokeKey(ctx context.Context, prefix string, at time.Time) (*paylinks.APIKey, error) {
	var k *paylinks.APIKey
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var n int
		var id []byte
		err := tx.QueryRowContext(ctx, `SELECT count(*), min(id) FROM api_keys WHERE prefix = ? AND revoked_at IS NULL`,
			prefix).Scan(&n, &id)
		switch {
		case err != nil:
			return err
		case n == 0:
			return paylinks.ErrNotFound
		case n > 1:
			return fmt.Errorf("%w: %d unrevoked keys have prefix %q", paylinks.ErrConflict, n, prefix)
		}
		k, err = scanKey(tx.QueryRowContext(ctx,
			`UPDATE api_keys SET revoked_at = ? WHERE id = ? RETURNING `+keyCols, micro(at), id))
		return err
	})
	if err != nil {
		return nil, wrap("RevokeKey", err)
	}
	return k, nil
}

func scanKey(row scanner) (*paylinks.APIKey, error) {
	var k paylinks.APIKey
	var kind, scopes string
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.AccountID, &k.Livemode, &kind, &scopes, &k.Prefix, &k.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	k.Kind = paylinks.KeyKind(kind)
	for s := range strings.FieldsSeq(scopes) {
		k.Scopes = append(k.Scopes, paylinks.Scope(s))
	}
	k.CreatedAt = fromMicro(created)
	k.RevokedAt = fromNullMicro(revoked)
	return &k, nil
}
