package sqlite

import "context"

// PendingWebhookDeliveries counts the webhook deliveries still to be made
// (due now or later, leased or not), for the queue-depth metric. It counts
// the entries of the partial index of pending deliveries.
func (db *DB) PendingWebhookDeliveries(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&n)
	return n, wrap("PendingWebhookDeliveries", err)
}
