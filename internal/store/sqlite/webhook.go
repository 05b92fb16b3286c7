package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const endpointCols = `id, account_id, livemode, url, format, description, events, secret, prev_secret,
	prev_secret_until, disabled_at, created_at, updated_at`

// eventKeysText is the filter the delivery trigger matches: '*' or the keys
// between spaces.
func eventKeysText(e *paylinks.WebhookEndpoint) string {
	keys := e.EventKeys()
	if len(keys) == 1 && keys[0] == "*" {
		return "*"
	}
	return " " + strings.Join(keys, " ") + " "
}

// CreateWebhookEndpoint inserts an endpoint.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *paylinks.WebhookEndpoint) error {
	return wrap("CreateWebhookEndpoint", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`, event_keys)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(e.ID), idArg(e.AccountID), e.Livemode, e.URL, e.Format, e.Description, strings.Join(e.Events, " "),
			e.Secret, e.PrevSecret, nullMicro(e.PrevSecretUntil), nullMicro(e.DisabledAt), micro(e.CreatedAt),
			micro(e.UpdatedAt), eventKeysText(e))
		return err
	}))
}

// GetWebhookEndpoint returns an endpoint of the account and mode.
func (db *DB) GetWebhookEndpoint(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.WebhookEndpoint, error) {
	e, err := scanEndpoint(db.queryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE id = ? AND account_id = ? AND livemode = ?`, idArg(id), idArg(accountID), livemode))
	return e, wrap("GetWebhookEndpoint", err)
}

// ListWebhookEndpoints returns the account's endpoints in the mode, newest
// first, after the endpoint after when set.
func (db *DB) ListWebhookEndpoints(ctx context.Context, accountID paylinks.ID, livemode bool, after *paylinks.ID, limit int) ([]paylinks.WebhookEndpoint, error) {
	q := `SELECT ` + endpointCols + ` FROM webhook_endpoints WHERE account_id = ? AND livemode = ?`
	args := []any{idArg(accountID), livemode}
	if after != nil {
		var created int64
		if err := db.read.QueryRowContext(ctx, `SELECT created_at FROM webhook_endpoints WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(*after), idArg(accountID), livemode).Scan(&created); err != nil {
			return nil, wrap("ListWebhookEndpoints", err)
		}
		q += ` AND (created_at, id) < (?, ?)`
		args = append(args, created, idArg(*after))
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("ListWebhookEndpoints", err)
	}
	defer rows.Close()
	var out []paylinks.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, wrap("ListWebhookEndpoints", err)
		}
		out = append(out, *e)
	}
	return out, wrap("ListWebhookEndpoints", rows.Err())
}

// UpdateWebhookEndpoint writes the mutable fields of an endpoint.
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, e *paylinks.WebhookEndpoint) error {
	return wrap("UpdateWebhookEndpoint", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = ?, format = ?, description = ?, events = ?,
			event_keys = ?, secret = ?, prev_secret = ?, prev_secret_until = ?, disabled_at = ?, updated_at = ?
			WHERE id = ? AND account_id = ? AND livemode = ?`,
			e.URL, e.Format, e.Description, strings.Join(e.Events, " "), eventKeysText(e), e.Secret, e.PrevSecret,
			nullMicro(e.PrevSecretUntil), nullMicro(e.DisabledAt), micro(e.UpdatedAt), idArg(e.ID), idArg(e.AccountID), e.Livemode)
		return oneRow(res, err)
	}))
}

// oneRow turns an UPDATE or DELETE that changed no row into sql.ErrNoRows.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and their
// attempts.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) error {
	return wrap("DeleteWebhookEndpoint", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(id), idArg(accountID), livemode).Scan(&one); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM webhook_attempts WHERE endpoint_id = ?`,
			`DELETE FROM webhook_deliveries WHERE endpoint_id = ?`, `DELETE FROM webhook_endpoints WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, idArg(id)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// CreateWebhookTestEvent inserts ev and one delivery of it to endpointID.
func (db *DB) CreateWebhookTestEvent(ctx context.Context, ev *paylinks.Event, endpointID paylinks.ID) error {
	return wrap("CreateWebhookTestEvent", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(endpointID), idArg(ev.AccountID), ev.Livemode).Scan(&one); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, status,
			next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
			idArg(ev.ID), idArg(endpointID), idArg(ev.AccountID), ev.Livemode, micro(ev.CreatedAt), micro(ev.CreatedAt))
		return err
	}))
}

// RedeliverEvent schedules the event again to one endpoint or to every
// matching enabled one.
func (db *DB) RedeliverEvent(ctx context.Context, accountID paylinks.ID, livemode bool, eventID paylinks.ID, endpointID *paylinks.ID, now time.Time) (int, error) {
	var n int
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		n = 0
		var key string
		if err := tx.QueryRowContext(ctx, `SELECT key FROM events WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(eventID), idArg(accountID), livemode).Scan(&key); err != nil {
			return err
		}
		q := `SELECT id FROM webhook_endpoints WHERE account_id = ? AND livemode = ?`
		args := []any{idArg(accountID), livemode}
		if endpointID != nil {
			q += ` AND id = ?`
			args = append(args, idArg(*endpointID))
		} else {
			q += ` AND disabled_at IS NULL AND (event_keys = '*' OR instr(event_keys, ' ' || ? || ' ') > 0)`
			args = append(args, key)
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var ids [][]byte
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if endpointID != nil && len(ids) == 0 {
			return sql.ErrNoRows
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode,
				status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)
				ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = 'pending', attempts = 0,
				next_attempt_at = excluded.next_attempt_at, lease_owner = NULL, lease_until = NULL`,
				idArg(eventID), id, idArg(accountID), livemode, micro(now), micro(now)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, wrap("RedeliverEvent", err)
}

// dueWhere selects due, unleased pending deliveries to enabled endpoints
// (d and e), at the first argument (now, twice).
const dueWhere = `d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?)
	AND e.id = d.endpoint_id AND e.disabled_at IS NULL`

// WebhookDeliveriesDue reports whether a delivery is due and unleased.
func (db *DB) WebhookDeliveriesDue(ctx context.Context, now time.Time) (bool, error) {
	var one int
	err := db.queryRow(ctx, `SELECT 1 FROM webhook_deliveries d, webhook_endpoints e WHERE `+dueWhere+` LIMIT 1`,
		micro(now), micro(now)).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, wrap("WebhookDeliveriesDue", err)
}

const deliveryCols = `d.event_id, d.endpoint_id, d.account_id, d.livemode, d.status, d.attempts, d.next_attempt_at,
	d.last_status_code, d.last_error, d.delivered_at, d.created_at`

// LeaseWebhookDeliveries leases due deliveries, oldest due first, with a
// conditional UPDATE through the writer: processes sharing the file take
// the write lock in turn, so no delivery is leased twice at once.
func (db *DB) LeaseWebhookDeliveries(ctx context.Context, r store.LeaseRequest) ([]store.LeasedDelivery, error) {
	var keys []store.DeliveryKey
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		keys = keys[:0]
		skip := ""
		args := []any{r.Owner, micro(r.Until), micro(r.Now), micro(r.Now)}
		if len(r.Skip) > 0 {
			skip = ` AND d.endpoint_id NOT IN (?` + strings.Repeat(`, ?`, len(r.Skip)-1) + `)`
			for _, id := range r.Skip {
				args = append(args, idArg(id))
			}
		}
		args = append(args, r.Limit)
		q := `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
			WHERE rowid IN (SELECT d.rowid FROM webhook_deliveries d, webhook_endpoints e WHERE ` + dueWhere + skip + `
				ORDER BY d.next_attempt_at, d.event_id LIMIT ?)
			RETURNING event_id, endpoint_id`
		var rows *sql.Rows
		var err error
		if st := tx.stmt(ctx, q); st != nil {
			rows, err = st.QueryContext(ctx, args...)
		} else {
			rows, err = tx.Tx.QueryContext(ctx, q, args...)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k store.DeliveryKey
			if err := rows.Scan(&k.EventID, &k.EndpointID); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("LeaseWebhookDeliveries", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, idArg(k.EventID), idArg(k.EndpointID))
	}
	rows, err := db.rstmtQuery(ctx, `SELECT `+deliveryCols+`, `+prefixed("ev.", eventCols)+`, `+prefixed("e.", endpointCols)+`
		FROM (VALUES `+placeholders(len(keys), 2)+`) AS k
		JOIN webhook_deliveries d ON d.event_id = k.column1 AND d.endpoint_id = k.column2
		JOIN events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
		ORDER BY d.next_attempt_at, d.event_id`, args...)
	if err != nil {
		return nil, wrap("LeaseWebhookDeliveries", err)
	}
	defer rows.Close()
	out := make([]store.LeasedDelivery, 0, len(keys))
	for rows.Next() {
		var ld store.LeasedDelivery
		if err := scanLeased(rows, &ld); err != nil {
			return nil, wrap("LeaseWebhookDeliveries", err)
		}
		out = append(out, ld)
	}
	return out, wrap("LeaseWebhookDeliveries", rows.Err())
}

// rstmtQuery runs a query on the read pool with a cached statement.
func (db *DB) rstmtQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.rstmts.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// prefixed qualifies each column of cols with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// ReleaseWebhookDeliveries drops owner's leases on the deliveries.
func (db *DB) ReleaseWebhookDeliveries(ctx context.Context, owner string, keys []store.DeliveryKey) error {
	if len(keys) == 0 {
		return nil
	}
	return wrap("ReleaseWebhookDeliveries", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL
				WHERE event_id = ? AND endpoint_id = ? AND lease_owner = ?`, idArg(k.EventID), idArg(k.EndpointID), owner); err != nil {
				return err
			}
		}
		return nil
	}))
}

// FinishWebhookDeliveries records attempts and, where the lease is still
// the owner's, the outcomes, in one write: one multi-row INSERT of the
// attempts and one UPDATE … FROM (VALUES …) of the deliveries, whatever
// the number, so that delivering costs the writer two statements per batch.
func (db *DB) FinishWebhookDeliveries(ctx context.Context, outs []store.DeliveryOutcome) ([]bool, error) {
	held := make([]bool, len(outs))
	if len(outs) == 0 {
		return held, nil
	}
	const attemptCols = 9
	ins := make([]any, 0, attemptCols*len(outs))
	upd := make([]any, 0, 9*len(outs))
	for _, o := range outs {
		a := o.Attempt
		ins = append(ins, idArg(a.EventID), idArg(a.EndpointID), a.URL, a.Owner, micro(a.At), a.StatusCode, a.Error,
			a.Duration.Microseconds(), a.Success)
		var delivered any
		if o.Status == paylinks.DeliveryDelivered {
			delivered = micro(a.At)
		}
		upd = append(upd, idArg(a.EventID), idArg(a.EndpointID), o.Owner, o.Status, micro(o.NextAttemptAt), a.StatusCode,
			a.Error, delivered, 0)
	}
	insSQL := `INSERT INTO webhook_attempts (event_id, endpoint_id, url, owner, at, status_code, error, duration_us, success)
		VALUES ` + placeholders(len(outs), attemptCols)
	updSQL := `UPDATE webhook_deliveries SET status = v.column4, attempts = attempts + 1, next_attempt_at = v.column5,
		lease_owner = NULL, lease_until = NULL, last_status_code = v.column6, last_error = v.column7,
		delivered_at = coalesce(v.column8, delivered_at)
		FROM (VALUES ` + placeholders(len(outs), 9) + `) AS v
		WHERE webhook_deliveries.event_id = v.column1 AND webhook_deliveries.endpoint_id = v.column2
		AND webhook_deliveries.lease_owner = v.column3
		RETURNING webhook_deliveries.event_id, webhook_deliveries.endpoint_id`
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		clear(held)
		if _, err := tx.ExecContext(ctx, insSQL, ins...); err != nil {
			return err
		}
		var rows *sql.Rows
		var err error
		if st := tx.stmt(ctx, updSQL); st != nil {
			rows, err = st.QueryContext(ctx, upd...)
		} else {
			rows, err = tx.Tx.QueryContext(ctx, updSQL, upd...)
		}
		if err != nil {
			return err
		}
		got := map[store.DeliveryKey]bool{}
		for rows.Next() {
			var k store.DeliveryKey
			if err := rows.Scan(&k.EventID, &k.EndpointID); err != nil {
				rows.Close()
				return err
			}
			got[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, o := range outs {
			held[i] = got[store.DeliveryKey{EventID: o.Attempt.EventID, EndpointID: o.Attempt.EndpointID}]
			if !held[i] || o.Disable == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = ?, updated_at = ?
				WHERE id = ? AND disabled_at IS NULL`, micro(o.Attempt.At), micro(o.Attempt.At), idArg(o.Attempt.EndpointID)); err != nil {
				return err
			}
			if err := insertEvent(ctx, tx, o.Disable); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("FinishWebhookDeliveries", err)
	}
	return held, nil
}

// placeholders is "(?, …), (?, …)": rows groups of cols.
func placeholders(rows, cols int) string {
	one := "(?" + strings.Repeat(", ?", cols-1) + ")"
	return one + strings.Repeat(", "+one, rows-1)
}

// WebhookAttempts returns the attempts of the events, oldest first.
func (db *DB) WebhookAttempts(ctx context.Context, accountID paylinks.ID, livemode bool, eventIDs []paylinks.ID) (map[paylinks.ID][]paylinks.WebhookAttempt, error) {
	out := make(map[paylinks.ID][]paylinks.WebhookAttempt)
	if len(eventIDs) == 0 {
		return out, nil
	}
	args := []any{idArg(accountID), livemode}
	for _, id := range eventIDs {
		args = append(args, idArg(id))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT a.event_id, a.endpoint_id, a.url, a.owner, a.at, a.status_code, a.error, a.duration_us, a.success
		FROM webhook_attempts a JOIN events ev ON ev.id = a.event_id
		WHERE ev.account_id = ? AND ev.livemode = ? AND a.event_id IN (?`+strings.Repeat(`, ?`, len(eventIDs)-1)+`)
		ORDER BY a.id`, args...)
	if err != nil {
		return nil, wrap("WebhookAttempts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a paylinks.WebhookAttempt
		var at, dur int64
		if err := rows.Scan(&a.EventID, &a.EndpointID, &a.URL, &a.Owner, &at, &a.StatusCode, &a.Error, &dur, &a.Success); err != nil {
			return nil, wrap("WebhookAttempts", err)
		}
		a.At, a.Duration = fromMicro(at), time.Duration(dur)*time.Microsecond
		out[a.EventID] = append(out[a.EventID], a)
	}
	return out, wrap("WebhookAttempts", rows.Err())
}

// WebhookDeliveries returns the deliveries of one event.
func (db *DB) WebhookDeliveries(ctx context.Context, accountID paylinks.ID, livemode bool, eventID paylinks.ID) ([]paylinks.WebhookDelivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		WHERE d.event_id = ? AND d.account_id = ? AND d.livemode = ? ORDER BY d.endpoint_id`, idArg(eventID), idArg(accountID), livemode)
	if err != nil {
		return nil, wrap("WebhookDeliveries", err)
	}
	out, err := collect(rows, scanDeliveryInto)
	return out, wrap("WebhookDeliveries", err)
}

func scanDeliveryInto(row scanner, d *paylinks.WebhookDelivery) error {
	var next, created int64
	var delivered sql.NullInt64
	if err := row.Scan(&d.EventID, &d.EndpointID, &d.AccountID, &d.Livemode, &d.Status, &d.Attempts, &next,
		&d.LastStatusCode, &d.LastError, &delivered, &created); err != nil {
		return err
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = fromMicro(next), fromMicro(created), fromNullMicro(delivered)
	return nil
}

func scanLeased(row scanner, ld *store.LeasedDelivery) error {
	var next, created int64
	var delivered sql.NullInt64
	d := &ld.Delivery
	var data sql.NullString
	var evCreated int64
	ev := &ld.Event
	e := &ld.Endpoint
	var events string
	var prevUntil, disabled sql.NullInt64
	var eCreated, eUpdated int64
	if err := row.Scan(&d.EventID, &d.EndpointID, &d.AccountID, &d.Livemode, &d.Status, &d.Attempts, &next,
		&d.LastStatusCode, &d.LastError, &delivered, &created,
		&ev.ID, &ev.AccountID, &ev.Livemode, &ev.Key, &ev.ObjectType, &ev.ObjectID, &data, &evCreated,
		&e.ID, &e.AccountID, &e.Livemode, &e.URL, &e.Format, &e.Description, &events, &e.Secret, &e.PrevSecret,
		&prevUntil, &disabled, &eCreated, &eUpdated); err != nil {
		return err
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = fromMicro(next), fromMicro(created), fromNullMicro(delivered)
	if data.Valid {
		ev.Data = []byte(data.String)
	}
	ev.CreatedAt = fromMicro(evCreated)
	e.Events = strings.Fields(events)
	e.PrevSecretUntil, e.DisabledAt = fromNullMicro(prevUntil), fromNullMicro(disabled)
	e.CreatedAt, e.UpdatedAt = fromMicro(eCreated), fromMicro(eUpdated)
	return nil
}

func scanEndpoint(row scanner) (*paylinks.WebhookEndpoint, error) {
	var e paylinks.WebhookEndpoint
	var events string
	var prevUntil, disabled sql.NullInt64
	var created, updated int64
	if err := row.Scan(&e.ID, &e.AccountID, &e.Livemode, &e.URL, &e.Format, &e.Description, &events, &e.Secret,
		&e.PrevSecret, &prevUntil, &disabled, &created, &updated); err != nil {
		return nil, err
	}
	e.Events = strings.Fields(events)
	e.PrevSecretUntil, e.DisabledAt = fromNullMicro(prevUntil), fromNullMicro(disabled)
	e.CreatedAt, e.UpdatedAt = fromMicro(created), fromMicro(updated)
	return &e, nil
}

// EventPage returns a page of the account's events, newest first, by keyset.
func (db *DB) EventPage(ctx context.Context, f store.EventCursor) ([]paylinks.Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE account_id = ? AND livemode = ?`
	args := []any{idArg(f.AccountID), f.Livemode}
	if f.After != nil {
		var created int64
		if err := db.read.QueryRowContext(ctx, `SELECT created_at FROM events WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(*f.After), idArg(f.AccountID), f.Livemode).Scan(&created); err != nil {
			return nil, wrap("EventPage", err)
		}
		q += ` AND (created_at, id) < (?, ?)`
		args = append(args, created, idArg(*f.After))
	}
	if len(f.Keys) > 0 {
		q += ` AND key IN (?` + strings.Repeat(`, ?`, len(f.Keys)-1) + `)`
		for _, k := range f.Keys {
			args = append(args, k)
		}
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("EventPage", err)
	}
	out, err := collect(rows, scanEventInto)
	return out, wrap("EventPage", err)
}
