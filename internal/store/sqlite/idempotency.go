package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const idempotencyCols = `account_id, livemode, key, request_hash, locked_until, response_status, response_header,
	response_body, created_at, expires_at, object_id`

// BeginIdempotency stores rec unless a live record holds its key, and
// returns that record otherwise. See store.IdempotencyStore.
func (db *DB) BeginIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord, now time.Time) (*paylinks.IdempotencyRecord, error) {
	var existing *paylinks.IdempotencyRecord
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		existing, rec.ObjectID = nil, nil
		old, err := scanIdempotency(tx.QueryRowContext(ctx, `SELECT `+idempotencyCols+` FROM idempotency_keys
			WHERE account_id = ? AND livemode = ? AND key = ?`, idArg(rec.AccountID), rec.Livemode, rec.Key))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case idempotencyLive(old, now):
			existing = old
			return nil
		default:
			rec.ObjectID = recoveredObject(old, rec, now)
			if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE account_id = ? AND livemode = ? AND key = ?`,
				idArg(rec.AccountID), rec.Livemode, rec.Key); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (`+idempotencyCols+`)
			VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?)`,
			idArg(rec.AccountID), rec.Livemode, rec.Key, rec.RequestHash, nullMicro(rec.LockedUntil),
			micro(rec.CreatedAt), micro(rec.ExpiresAt), nullIDArg(rec.ObjectID))
		return err
	})
	if err != nil {
		return nil, wrap("BeginIdempotency", err)
	}
	return existing, nil
}

// recoveredObject is the object rec takes over from old, a record that is
// not live at now: the one old's request created, when old is the same
// request (same hash), died before storing its response and has not
// expired.
func recoveredObject(old, rec *paylinks.IdempotencyRecord, now time.Time) *paylinks.ID {
	if old.ObjectID == nil || old.Done() || !bytes.Equal(old.RequestHash, rec.RequestHash) || !now.Before(old.ExpiresAt) {
		return nil
	}
	id := *old.ObjectID
	return &id
}

// heldWhere selects rec's record while it is still the one
// BeginIdempotency stored (same hash and lock) and has no response: the
// record that holds its key. heldArgs(rec) are its arguments.
const heldWhere = `account_id = ? AND livemode = ? AND key = ? AND request_hash = ? AND locked_until = ?
	AND response_status IS NULL`

func heldArgs(rec *paylinks.IdempotencyRecord) []any {
	return []any{idArg(rec.AccountID), rec.Livemode, rec.Key, rec.RequestHash, nullMicro(rec.LockedUntil)}
}

// markIdempotency records id as the object of rec's request, in tx: the
// transaction that creates it. store.ErrKeyLost when rec no longer holds
// its key.
func markIdempotency(ctx context.Context, tx *writeTx, rec *paylinks.IdempotencyRecord, id paylinks.ID) error {
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET object_id = ? WHERE `+heldWhere,
		append([]any{idArg(id)}, heldArgs(rec)...)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrKeyLost
	}
	return nil
}

// idempotencyLive reports whether r still holds its key at now.
func idempotencyLive(r *paylinks.IdempotencyRecord, now time.Time) bool {
	if !now.Before(r.ExpiresAt) {
		return false
	}
	return r.Done() || (r.LockedUntil != nil && now.Before(*r.LockedUntil))
}

// FinishIdempotency stores the response of rec. See store.IdempotencyStore.
func (db *DB) FinishIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) error {
	var header any
	if rec.ResponseHeader != nil {
		b, err := json.Marshal(rec.ResponseHeader)
		if err != nil {
			return wrap("FinishIdempotency", err)
		}
		header = string(b)
	}
	body := rec.ResponseBody
	if body == nil {
		body = []byte{}
	}
	return wrap("FinishIdempotency", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET response_status = ?, response_header = ?,
				response_body = ?, locked_until = NULL WHERE `+heldWhere,
			append([]any{rec.ResponseStatus, header, body}, heldArgs(rec)...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return paylinks.ErrNotFound
		}
		return nil
	}))
}

// ReleaseIdempotency deletes rec if it is still the one BeginIdempotency
// stored.
func (db *DB) ReleaseIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) error {
	return wrap("ReleaseIdempotency", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE `+heldWhere, heldArgs(rec)...)
		return err
	}))
}

// DeleteExpiredIdempotency deletes the records expired at now.
func (db *DB) DeleteExpiredIdempotency(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= ?`, micro(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), wrap("DeleteExpiredIdempotency", err)
}

func scanIdempotency(row scanner) (*paylinks.IdempotencyRecord, error) {
	var r paylinks.IdempotencyRecord
	var locked, status sql.NullInt64
	var header sql.NullString
	var created, expires int64
	var object uuid.NullUUID
	err := row.Scan(&r.AccountID, &r.Livemode, &r.Key, &r.RequestHash, &locked, &status, &header, &r.ResponseBody,
		&created, &expires, &object)
	if err != nil {
		return nil, err
	}
	r.LockedUntil = fromNullMicro(locked)
	r.ResponseStatus = int(status.Int64)
	if header.Valid {
		if err := json.Unmarshal([]byte(header.String), &r.ResponseHeader); err != nil {
			return nil, err
		}
	}
	r.CreatedAt, r.ExpiresAt = fromMicro(created), fromMicro(expires)
	r.ObjectID = fromNullID(object)
	return &r, nil
}
