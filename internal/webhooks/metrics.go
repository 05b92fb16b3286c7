package webhooks

import (
	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/metrics"
)

// metricsOutcome names an attempt's resulting delivery status for the
// deliveries metric: delivered, retry (pending again) or failed (for good).
func metricsOutcome(st string) string {
	switch st {
	case paylinks.DeliveryDelivered:
		return metrics.WebhookDelivered
	case paylinks.DeliveryPending:
		return metrics.WebhookRetry
	}
	return metrics.WebhookFailed
}
