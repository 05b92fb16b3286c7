package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const endpointColumns = `id, account_id, livemode, url, format, description, events, secret, prev_secret,
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
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *paylinks.WebhookEndpoint) (err error) {
	defer wrap(&err, "CreateWebhookEndpoint")
	_, err = db.pool.Exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`, event_keys)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		e.ID, e.AccountID, e.Livemode, e.URL, e.Format, e.Description, strings.Join(e.Events, " "), e.Secret,
		e.PrevSecret, tsp(e.PrevSecretUntil), tsp(e.DisabledAt), ts(e.CreatedAt), ts(e.UpdatedAt), eventKeysText(e))
	return err
}

// GetWebhookEndpoint returns an endpoint of the account and mode.
func (db *DB) GetWebhookEndpoint(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.WebhookEndpoint, err error) {
	defer wrap(&err, "GetWebhookEndpoint")
	return scanEndpoint(db.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// ListWebhookEndpoints returns the account's endpoints in the mode, newest
// first, after the endpoint after when set.
func (db *DB) ListWebhookEndpoints(ctx context.Context, accountID paylinks.ID, livemode bool, after *paylinks.ID, limit int) (_ []paylinks.WebhookEndpoint, err error) {
	defer wrap(&err, "ListWebhookEndpoints")
	q := `SELECT ` + endpointColumns + ` FROM webhook_endpoints WHERE account_id = $1 AND livemode = $2`
	args := []any{accountID, livemode}
	if after != nil {
		var created time.Time
		if err := db.pool.QueryRow(ctx, `SELECT created_at FROM webhook_endpoints WHERE id = $1 AND account_id = $2 AND livemode = $3`,
			*after, accountID, livemode).Scan(&created); err != nil {
			return nil, err
		}
		q += ` AND (created_at, id) < ($3, $4)`
		args = append(args, created, *after)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if limit > 0 {
		args = append(args, limit)
		q += ` LIMIT $` + itoa(len(args))
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEndpoint)
}

func itoa(n int) string {
	const d = "0123456789"
	if n < 10 {
		return d[n : n+1]
	}
	return itoa(n/10) + d[n%10:n%10+1]
}

// UpdateWebhookEndpoint writes the mutable fields of an endpoint.
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, e *paylinks.WebhookEndpoint) (err error) {
	defer wrap(&err, "UpdateWebhookEndpoint")
	tag, err := db.pool.Exec(ctx, `UPDATE webhook_endpoints SET url = $4, format = $5, description = $6, events = $7,
		event_keys = $8, secret = $9, prev_secret = $10, prev_secret_until = $11, disabled_at = $12, updated_at = $13
		WHERE id = $1 AND account_id = $2 AND livemode = $3`,
		e.ID, e.AccountID, e.Livemode, e.URL, e.Format, e.Description, strings.Join(e.Events, " "), eventKeysText(e),
		e.Secret, e.PrevSecret, tsp(e.PrevSecretUntil), tsp(e.DisabledAt), ts(e.UpdatedAt))
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return err
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and their
// attempts.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (err error) {
	defer wrap(&err, "DeleteWebhookEndpoint")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = $1 AND account_id = $2 AND livemode = $3 FOR UPDATE`,
		id, accountID, livemode).Scan(&one); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM webhook_attempts WHERE endpoint_id = $1`,
		`DELETE FROM webhook_deliveries WHERE endpoint_id = $1`, `DELETE FROM webhook_endpoints WHERE id = $1`} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// CreateWebhookTestEvent inserts ev and one delivery of it to endpointID.
func (db *DB) CreateWebhookTestEvent(ctx context.Context, ev *paylinks.Event, endpointID paylinks.ID) (err error) {
	defer wrap(&err, "CreateWebhookTestEvent")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = $1 AND account_id = $2 AND livemode = $3`,
		endpointID, ev.AccountID, ev.Livemode).Scan(&one); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, ev); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, status,
		next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $5)`,
		ev.ID, endpointID, ev.AccountID, ev.Livemode, ts(ev.CreatedAt)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// RedeliverEvent schedules the event again to one endpoint or to every
// matching enabled one.
func (db *DB) RedeliverEvent(ctx context.Context, accountID paylinks.ID, livemode bool, eventID paylinks.ID, endpointID *paylinks.ID, now time.Time) (_ int, err error) {
	defer wrap(&err, "RedeliverEvent")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var key string
	if err := tx.QueryRow(ctx, `SELECT key FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3`,
		eventID, accountID, livemode).Scan(&key); err != nil {
		return 0, err
	}
	sel := `SELECT id FROM webhook_endpoints WHERE account_id = $2 AND livemode = $3 AND disabled_at IS NULL
		AND (event_keys = '*' OR strpos(event_keys, ' ' || $5 || ' ') > 0)`
	arg5 := any(key)
	if endpointID != nil {
		sel = `SELECT id FROM webhook_endpoints WHERE account_id = $2 AND livemode = $3 AND id = $5`
		arg5 = *endpointID
	}
	tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, status,
		next_attempt_at, created_at)
		SELECT $1, e.id, $2, $3, 'pending', $4, $4 FROM (`+sel+`) e
		ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = 'pending', attempts = 0,
		next_attempt_at = excluded.next_attempt_at, lease_owner = NULL, lease_until = NULL`,
		eventID, accountID, livemode, ts(now), arg5)
	if err != nil {
		return 0, err
	}
	n := int(tag.RowsAffected())
	if endpointID != nil && n == 0 {
		return 0, pgx.ErrNoRows
	}
	return n, tx.Commit(ctx)
}

// dueWhere selects due, unleased pending deliveries to enabled endpoints
// (d and e) at $1.
const dueWhere = `d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)
	AND e.id = d.endpoint_id AND e.disabled_at IS NULL`

// WebhookDeliveriesDue reports whether a delivery is due and unleased.
func (db *DB) WebhookDeliveriesDue(ctx context.Context, now time.Time) (_ bool, err error) {
	defer wrap(&err, "WebhookDeliveriesDue")
	var due bool
	err = db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries d, webhook_endpoints e WHERE `+dueWhere+`)`,
		ts(now)).Scan(&due)
	return due, err
}

const deliveryColumns = `d.event_id, d.endpoint_id, d.account_id, d.livemode, d.status, d.attempts, d.next_attempt_at,
	d.last_status_code, d.last_error, d.delivered_at, d.created_at`

// LeaseWebhookDeliveries leases due deliveries, oldest due first: rows
// locked with FOR UPDATE SKIP LOCKED, so replicas leasing at once take
// different ones, and a lease that expired is taken again.
func (db *DB) LeaseWebhookDeliveries(ctx context.Context, r store.LeaseRequest) (_ []store.LeasedDelivery, err error) {
	defer wrap(&err, "LeaseWebhookDeliveries")
	skip := make([]paylinks.ID, len(r.Skip))
	copy(skip, r.Skip)
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT d.event_id, d.endpoint_id FROM webhook_deliveries d, webhook_endpoints e
			WHERE `+dueWhere+` AND NOT (d.endpoint_id = ANY ($4))
			ORDER BY d.next_attempt_at, d.event_id LIMIT $5
			FOR UPDATE OF d SKIP LOCKED),
		leased AS (
			UPDATE webhook_deliveries d SET lease_owner = $2, lease_until = $3
			FROM due WHERE d.event_id = due.event_id AND d.endpoint_id = due.endpoint_id
			RETURNING d.*)
		SELECT `+deliveryColumns+`, `+prefixed("ev.", eventColumns)+`, `+prefixed("e.", endpointColumns)+`
		FROM leased d JOIN events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
		ORDER BY d.next_attempt_at, d.event_id`,
		ts(r.Now), r.Owner, ts(r.Until), skip, r.Limit)
	if err != nil {
		return nil, err
	}
	return collectInto(rows, scanLeased)
}

// ReleaseWebhookDeliveries drops owner's leases on the deliveries.
func (db *DB) ReleaseWebhookDeliveries(ctx context.Context, owner string, keys []store.DeliveryKey) (err error) {
	defer wrap(&err, "ReleaseWebhookDeliveries")
	b := &pgx.Batch{}
	for _, k := range keys {
		b.Queue(`UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL
			WHERE event_id = $1 AND endpoint_id = $2 AND lease_owner = $3`, k.EventID, k.EndpointID, owner)
	}
	if b.Len() == 0 {
		return nil
	}
	return db.pool.SendBatch(ctx, b).Close()
}

// FinishWebhookDeliveries records attempts and, where the lease is still
// the owner's, the outcomes, in one transaction sent as one batch.
func (db *DB) FinishWebhookDeliveries(ctx context.Context, outs []store.DeliveryOutcome) (_ []bool, err error) {
	defer wrap(&err, "FinishWebhookDeliveries")
	held := make([]bool, len(outs))
	if len(outs) == 0 {
		return held, nil
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	for _, o := range outs {
		a := o.Attempt
		b.Queue(`INSERT INTO webhook_attempts (event_id, endpoint_id, url, owner, at, status_code, error,
			duration_us, success) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			a.EventID, a.EndpointID, a.URL, a.Owner, ts(a.At), a.StatusCode, a.Error, a.Duration.Microseconds(), a.Success)
		var delivered *time.Time
		if o.Status == paylinks.DeliveryDelivered {
			delivered = tsp(&a.At)
		}
		b.Queue(`UPDATE webhook_deliveries SET status = $4, attempts = attempts + 1,
			next_attempt_at = $5, lease_owner = NULL, lease_until = NULL, last_status_code = $6, last_error = $7,
			delivered_at = coalesce($8, delivered_at)
			WHERE event_id = $1 AND endpoint_id = $2 AND lease_owner = $3`,
			a.EventID, a.EndpointID, o.Owner, o.Status, ts(o.NextAttemptAt), a.StatusCode, a.Error, delivered)
	}
	br := tx.SendBatch(ctx, b)
	for i := range outs {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return nil, err
		}
		held[i] = tag.RowsAffected() == 1
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	for i, o := range outs {
		if !held[i] || o.Disable == nil {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = $2, updated_at = $2
			WHERE id = $1 AND disabled_at IS NULL`, o.Attempt.EndpointID, ts(o.Attempt.At)); err != nil {
			return nil, err
		}
		if err := insertEvents(ctx, tx, o.Disable); err != nil {
			return nil, err
		}
	}
	return held, tx.Commit(ctx)
}

// WebhookAttempts returns the attempts of the events, oldest first.
func (db *DB) WebhookAttempts(ctx context.Context, accountID paylinks.ID, livemode bool, eventIDs []paylinks.ID) (_ map[paylinks.ID][]paylinks.WebhookAttempt, err error) {
	defer wrap(&err, "WebhookAttempts")
	out := make(map[paylinks.ID][]paylinks.WebhookAttempt)
	if len(eventIDs) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT a.event_id, a.endpoint_id, a.url, a.owner, a.at, a.status_code, a.error, a.duration_us, a.success
		FROM webhook_attempts a JOIN events ev ON ev.id = a.event_id
		WHERE ev.account_id = $1 AND ev.livemode = $2 AND a.event_id = ANY ($3) ORDER BY a.id`, accountID, livemode, eventIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a paylinks.WebhookAttempt
		var dur int64
		if err := rows.Scan(&a.EventID, &a.EndpointID, &a.URL, &a.Owner, &a.At, &a.StatusCode, &a.Error, &dur, &a.Success); err != nil {
			return nil, err
		}
		a.At, a.Duration = a.At.UTC(), time.Duration(dur)*time.Microsecond
		out[a.EventID] = append(out[a.EventID], a)
	}
	return out, rows.Err()
}

// WebhookDeliveries returns the deliveries of one event.
func (db *DB) WebhookDeliveries(ctx context.Context, accountID paylinks.ID, livemode bool, eventID paylinks.ID) (_ []paylinks.WebhookDelivery, err error) {
	defer wrap(&err, "WebhookDeliveries")
	rows, err := db.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		WHERE d.event_id = $1 AND d.account_id = $2 AND d.livemode = $3 ORDER BY d.endpoint_id`, eventID, accountID, livemode)
	if err != nil {
		return nil, err
	}
	return collectInto(rows, scanDeliveryInto)
}

func scanDeliveryInto(row rowScanner, d *paylinks.WebhookDelivery) error {
	if err := row.Scan(&d.EventID, &d.EndpointID, &d.AccountID, &d.Livemode, &d.Status, &d.Attempts, &d.NextAttemptAt,
		&d.LastStatusCode, &d.LastError, &d.DeliveredAt, &d.CreatedAt); err != nil {
		return err
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), utc(d.DeliveredAt)
	return nil
}

func scanLeased(row rowScanner, ld *store.LeasedDelivery) error {
	d, ev, e := &ld.Delivery, &ld.Event, &ld.Endpoint
	var data *string
	var events string
	if err := row.Scan(&d.EventID, &d.EndpointID, &d.AccountID, &d.Livemode, &d.Status, &d.Attempts, &d.NextAttemptAt,
		&d.LastStatusCode, &d.LastError, &d.DeliveredAt, &d.CreatedAt,
		&ev.ID, &ev.AccountID, &ev.Livemode, &ev.Key, &ev.ObjectType, &ev.ObjectID, &data, &ev.CreatedAt,
		&e.ID, &e.AccountID, &e.Livemode, &e.URL, &e.Format, &e.Description, &events, &e.Secret, &e.PrevSecret,
		&e.PrevSecretUntil, &e.DisabledAt, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return err
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), utc(d.DeliveredAt)
	if data != nil {
		ev.Data = []byte(*data)
	}
	ev.CreatedAt = ev.CreatedAt.UTC()
	endpointUTC(e, events)
	return nil
}

func endpointUTC(e *paylinks.WebhookEndpoint, events string) {
	e.Events = strings.Fields(events)
	e.PrevSecretUntil, e.DisabledAt = utc(e.PrevSecretUntil), utc(e.DisabledAt)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
}

func scanEndpoint(row rowScanner) (*paylinks.WebhookEndpoint, error) {
	var e paylinks.WebhookEndpoint
	var events string
	if err := row.Scan(&e.ID, &e.AccountID, &e.Livemode, &e.URL, &e.Format, &e.Description, &events, &e.Secret,
		&e.PrevSecret, &e.PrevSecretUntil, &e.DisabledAt, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	endpointUTC(&e, events)
	return &e, nil
}

// EventPage returns a page of the account's events, newest first, by keyset.
func (db *DB) EventPage(ctx context.Context, f store.EventCursor) (_ []paylinks.Event, err error) {
	defer wrap(&err, "EventPage")
	q := `SELECT ` + eventColumns + ` FROM events WHERE account_id = $1 AND livemode = $2`
	args := []any{f.AccountID, f.Livemode}
	if f.After != nil {
		var created time.Time
		if err := db.pool.QueryRow(ctx, `SELECT created_at FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3`,
			*f.After, f.AccountID, f.Livemode).Scan(&created); err != nil {
			return nil, err
		}
		q += ` AND (created_at, id) < ($3, $4)`
		args = append(args, created, *f.After)
	}
	if len(f.Keys) > 0 {
		args = append(args, f.Keys)
		q += ` AND key = ANY ($` + itoa(len(args)) + `)`
	}
	args = append(args, f.Limit)
	q += ` ORDER BY created_at DESC, id DESC LIMIT $` + itoa(len(args))
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEvent)
}
