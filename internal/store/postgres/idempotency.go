package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const idempotencyColumns = `account_id, livemode, key, request_hash, locked_until, response_status, response_header,
	response_body, created_at, expires_at, object_id`

// BeginIdempotency stores rec unless a live record holds its key, and
// returns that record otherwise. The decision is one INSERT … ON CONFLICT
// DO UPDATE … WHERE, so that processes sharing the database agree on who
// owns the key. See store.IdempotencyStore.
func (db *DB) BeginIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord, now time.Time) (_ *paylinks.IdempotencyRecord, err error) {
	defer wrap(&err, "BeginIdempotency")
	for range 3 {
		// Taking over the record of the same request (same hash) that
		// died before storing its response keeps the object it created
		// (paylinks.IdempotencyRecord.ObjectID).
		rec.ObjectID = nil
		err := db.pool.QueryRow(ctx, `INSERT INTO idempotency_keys AS k (`+idempotencyColumns+`)
			VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, $6, $7, NULL)
			ON CONFLICT (account_id, livemode, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,
				locked_until = EXCLUDED.locked_until, response_status = NULL, response_header = NULL,
				response_body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
				object_id = CASE WHEN k.request_hash = EXCLUDED.request_hash AND k.response_status IS NULL
					AND k.expires_at > $8 THEN k.object_id END
			WHERE k.expires_at <= $8 OR (k.response_status IS NULL AND (k.locked_until IS NULL OR k.locked_until <= $8))
			RETURNING object_id`,
			rec.AccountID, rec.Livemode, rec.Key, rec.RequestHash, tsp(rec.LockedUntil), ts(rec.CreatedAt),
			ts(rec.ExpiresAt), ts(now)).Scan(&rec.ObjectID)
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		old, err := scanIdempotency(db.pool.QueryRow(ctx, `SELECT `+idempotencyColumns+` FROM idempotency_keys
			WHERE account_id = $1 AND livemode = $2 AND key = $3`, rec.AccountID, rec.Livemode, rec.Key))
		if errors.Is(err, pgx.ErrNoRows) {
			continue // deleted since: try again
		}
		return old, err
	}
	return nil, errors.New("the key changed hands three times in a row")
}

// FinishIdempotency stores the response of rec. See store.IdempotencyStore.
func (db *DB) FinishIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "FinishIdempotency")
	var header []byte
	if rec.ResponseHeader != nil {
		if header, err = json.Marshal(rec.ResponseHeader); err != nil {
			return err
		}
	}
	body := rec.ResponseBody
	if body == nil {
		body = []byte{}
	}
	tag, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET response_status = $6, response_header = $7,
			response_body = $8, locked_until = NULL WHERE `+heldWhere,
		append(heldArgs(rec), rec.ResponseStatus, header, body)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return paylinks.ErrNotFound
	}
	return nil
}

// heldWhere selects rec's record while it is still the one
// BeginIdempotency stored (same hash and lock) and has no response: the
// record that holds its key. heldArgs(rec) are $1 to $5; a statement's own
// arguments follow from $6.
const heldWhere = `account_id = $1 AND livemode = $2 AND key = $3 AND request_hash = $4 AND locked_until = $5
	AND response_status IS NULL`

func heldArgs(rec *paylinks.IdempotencyRecord) []any {
	return []any{rec.AccountID, rec.Livemode, rec.Key, rec.RequestHash, tsp(rec.LockedUntil)}
}

// markIdempotency records id as the object of rec's request, in tx: the
// transaction that creates it. store.ErrKeyLost when rec no longer holds
// its key.
func markIdempotency(ctx context.Context, tx pgx.Tx, rec *paylinks.IdempotencyRecord, id paylinks.ID) error {
	tag, err := tx.Exec(ctx, `UPDATE idempotency_keys SET object_id = $6 WHERE `+heldWhere, append(heldArgs(rec), id)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrKeyLost
	}
	return nil
}

// ReleaseIdempotency deletes rec if it is still the one BeginIdempotency
// stored.
func (db *DB) ReleaseIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "ReleaseIdempotency")
	_, err = db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE `+heldWhere, heldArgs(rec)...)
	return err
}

// DeleteExpiredIdempotency deletes the records expired at now.
func (db *DB) DeleteExpiredIdempotency(ctx context.Context, now time.Time) (_ int, err error) {
	defer wrap(&err, "DeleteExpiredIdempotency")
	tag, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1`, ts(now))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

func scanIdempotency(row rowScanner) (*paylinks.IdempotencyRecord, error) {
	var r paylinks.IdempotencyRecord
	var status *int32
	var header []byte
	if err := row.Scan(&r.AccountID, &r.Livemode, &r.Key, &r.RequestHash, &r.LockedUntil, &status, &header,
		&r.ResponseBody, &r.CreatedAt, &r.ExpiresAt, &r.ObjectID); err != nil {
		return nil, err
	}
	if status != nil {
		r.ResponseStatus = int(*status)
	}
	if header != nil {
		if err := json.Unmarshal(header, &r.ResponseHeader); err != nil {
			return nil, err
		}
	}
	r.LockedUntil, r.CreatedAt, r.ExpiresAt = utc(r.LockedUntil), r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	return &r, nil
}
