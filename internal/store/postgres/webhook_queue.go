package postgres

import "context"

// PendingWebhookDeliveries counts the webhook deliveries still to be made
// (due now or later, leased or not), for the queue-depth metric.
func (db *DB) PendingWebhookDeliveries(ctx context.Context) (n int, err error) {
	defer wrap(&err, "PendingWebhookDeliveries")
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&n)
	return n, err
}
