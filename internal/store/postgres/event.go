package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const eventColumns = `id, account_id, livemode, key, object_type, object_id, data, created_at`

// GetEvent returns an event of the account and mode.
func (db *DB) GetEvent(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.Event, err error) {
	defer wrap(&err, "GetEvent")
	return scanEvent(db.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// ListEvents returns a page of the account's events in the mode, ordered by
// (created_at, id) in f.Order, and the number in the window [f.From, f.To].
// f.Limit <= 0 means no limit.
func (db *DB) ListEvents(ctx context.Context, f store.EventFilter) (_ []paylinks.Event, total int, err error) {
	defer wrap(&err, "ListEvents")
	where, args := `account_id = $1 AND livemode = $2`, []any{f.AccountID, f.Livemode}
	if f.ObjectIDs != nil {
		where += ` AND object_id = ANY(` + arg(&args, f.ObjectIDs) + `)`
	}
	where, args = window(where, args, f.From, f.To)
	tail, pageArgs := page(args[:len(args):len(args)], f.Order, f.Offset, f.Limit)
	var events []paylinks.Event
	q := listQuery{
		pageSQL: `SELECT ` + eventColumns + ` FROM events WHERE ` + where + tail, pageArgs: pageArgs,
		countSQL: `SELECT count(*) FROM events WHERE ` + where, countArgs: args,
	}
	total, err = q.run(ctx, db.pool, func(rows pgx.Rows) error {
		e, err := scanEvent(rows)
		if err == nil {
			events = append(events, *e)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return events, total, nil
}

// insertEvents writes events to the outbox in tx, due for delivery at once.
// Nil events are skipped.
func insertEvents(ctx context.Context, tx pgx.Tx, evs ...*paylinks.Event) error {
	b := &pgx.Batch{}
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		var data any // a nil RawMessage is NULL; json keeps the bytes as given
		if ev.Data != nil {
			data = string(ev.Data)
		}
		b.Queue(`INSERT INTO events (`+eventColumns+`, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			ev.ID, ev.AccountID, ev.Livemode, ev.Key, ev.ObjectType, ev.ObjectID, data, ts(ev.CreatedAt))
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

func scanEvent(row rowScanner) (*paylinks.Event, error) {
	var (
		e    paylinks.Event
		data *string
	)
	if err := row.Scan(&e.ID, &e.AccountID, &e.Livemode, &e.Key, &e.ObjectType, &e.ObjectID, &data, &e.CreatedAt); err != nil {
		return nil, err
	}
	if data != nil {
		e.Data = []byte(*data)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}
