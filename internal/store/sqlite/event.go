package sqlite

import (
	"context"
	"database/sql"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const eventCols = `id, account_id, livemode, key, object_type, object_id, data, created_at`

// insertEvent writes ev to the outbox in the caller's transaction; a nil ev
// writes nothing.
func insertEvent(ctx context.Context, tx *writeTx, ev *paylinks.Event) error {
	if ev == nil {
		return nil
	}
	return insertRowsOneByOne([]tableRow{eventRow(ev)})(ctx, tx)
}

const eventInsertInto = `events (` + eventCols + `)`

// eventRow is the row of ev in events.
func eventRow(ev *paylinks.Event) tableRow {
	var data any
	if ev.Data != nil {
		data = string(ev.Data)
	}
	return tableRow{into: eventInsertInto, values: []any{idArg(ev.ID), idArg(ev.AccountID),
		ev.Livemode, ev.Key, ev.ObjectType, idArg(ev.ObjectID), data, micro(ev.CreatedAt)}}
}

// GetEvent returns an event of the account and mode.
func (db *DB) GetEvent(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Event, error) {
	ev, err := scanEvent(db.queryRow(ctx,
		`SELECT `+eventCols+` FROM events WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode))
	return ev, wrap("GetEvent", err)
}

// ListEvents returns a page of the account's events in the mode and window,
// and the number in the window.
func (db *DB) ListEvents(ctx context.Context, f store.EventFilter) ([]paylinks.Event, int, error) {
	from, to := bounds(f.From, f.To)
	where, args := `account_id = ? AND livemode = ?`, []any{idArg(f.AccountID), f.Livemode}
	if f.ObjectIDs != nil {
		where += ` AND object_id IN (SELECT unhex(value) FROM json_each(?))`
		args = append(args, hexIDs(f.ObjectIDs))
	}
	events, total, err := list(ctx, db, listQuery{
		cols:  eventCols,
		table: "events",
		where: where,
		args:  args,
		from:  from, to: to,
		order:  f.Order,
		offset: f.Offset, limit: f.Limit,
	}, scanEventInto)
	if err != nil {
		return nil, 0, wrap("ListEvents", err)
	}
	return events, total, nil
}

func scanEvent(row scanner) (*paylinks.Event, error) { return scanOne(row, scanEventInto) }

func scanEventInto(row scanner, ev *paylinks.Event) error {
	var data sql.NullString
	var created int64
	if err := row.Scan(&ev.ID, &ev.AccountID, &ev.Livemode, &ev.Key, &ev.ObjectType, &ev.ObjectID, &data, &created); err != nil {
		return err
	}
	if data.Valid {
		ev.Data = []byte(data.String)
	}
	ev.CreatedAt = fromMicro(created)
	return nil
}
