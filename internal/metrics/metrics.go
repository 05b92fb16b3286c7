// Package metrics holds paylinks' Prometheus collectors: HTTP requests by
// route pattern, payments by outcome, webhook deliveries, the SQLite group
// commit, the PostgreSQL pool, and the Go runtime and process. A nil
// *Metrics is valid and records nothing, so callers need no checks.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/paylinks/paylinks/internal/payments"
)

// Metrics is one registry of paylinks' collectors. Build it with New.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpBytes    *prometheus.CounterVec

	payments *prometheus.CounterVec

	webhookDeliveries *prometheus.CounterVec
	webhookLag        prometheus.Histogram

	commitBatch    prometheus.Histogram
	commitDuration prometheus.Histogram
}

// New returns a registry with every paylinks collector and Go's runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paylinks_http_requests_total",
		Help: "HTTP requests served, by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "paylinks_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	m.httpBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paylinks_http_response_bytes_total",
		Help: "Bytes of HTTP response bodies written, by route pattern.",
	}, []string{"route"})
	m.payments = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paylinks_payments_total",
		Help: "Card charges decided by a processor, by mode (test, live) and outcome (succeeded, declined, error).",
	}, []string{"mode", "outcome"})
	m.webhookDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paylinks_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by outcome (delivered; retry: failed, to be tried again; failed: failed for good).",
	}, []string{"outcome"})
	m.webhookLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "paylinks_webhook_delivery_lag_seconds",
		Help:    "Time from an event to its webhook's successful delivery.",
		Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400},
	})
	m.commitBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "paylinks_sqlite_commit_batch_writes",
		Help:    "Writes committed together by one SQLite group commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	m.commitDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "paylinks_sqlite_commit_duration_seconds",
		Help:    "Time to run and commit one SQLite group-commit batch (fsync included).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.httpBytes, m.payments,
		m.webhookDeliveries, m.webhookLag,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' text format, for /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry, so that callers can add collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// UnmatchedRoute is the route label of a request that matched no route, so
// that probes of random paths cannot grow the series without bound.
const UnmatchedRoute = "unmatched"

// ObserveRequest records one HTTP request served: route is the pattern it
// matched ("GET /links/{id}"; empty for none), bytes its body's size.
func (m *Metrics) ObserveRequest(route, method string, status int, bytes int64, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = UnmatchedRoute
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
	m.httpBytes.WithLabelValues(route).Add(float64(bytes))
}

// Payment records one charge decided (or not) by a processor: outcome is
// "succeeded", "declined" or "error".
func (m *Metrics) Payment(mode, outcome string) {
	if m == nil {
		return
	}
	m.payments.WithLabelValues(mode, outcome).Inc()
}

// The outcomes of a webhook delivery attempt.
const (
	WebhookDelivered = "delivered" // the receiver answered 2xx
	WebhookRetry     = "retry"     // it failed and will be tried again
	WebhookFailed    = "failed"    // it failed for good (the schedule ran out, or 410)
)

// WebhookDelivery records one delivery attempt: outcome is
// WebhookDelivered, WebhookRetry or WebhookFailed; lag, for a delivered
// one, is the time from its event to the delivery (0 skips the lag
// histogram).
func (m *Metrics) WebhookDelivery(outcome string, lag time.Duration) {
	if m == nil {
		return
	}
	m.webhookDeliveries.WithLabelValues(outcome).Inc()
	if outcome == WebhookDelivered && lag > 0 {
		m.webhookLag.Observe(lag.Seconds())
	}
}

// WatchWebhookQueue adds paylinks_webhook_queue_depth, read from depth at
// each scrape: the number of webhook deliveries waiting (a count the store
// answers). Without it the series is absent rather than a false zero.
func (m *Metrics) WatchWebhookQueue(depth func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paylinks_webhook_queue_depth",
		Help: "Webhook deliveries waiting to be attempted.",
	}, depth))
}

// WatchSQLite adds the SQLite group-commit series (a server on PostgreSQL
// has none); give m to the store's ObserveCommits to feed them.
func (m *Metrics) WatchSQLite() {
	if m == nil {
		return
	}
	m.reg.MustRegister(m.commitBatch, m.commitDuration)
}

// ObserveCommit records one SQLite group commit of writes writes that took
// d; it implements sqlite.CommitObserver.
func (m *Metrics) ObserveCommit(writes int, d time.Duration) {
	if m == nil {
		return
	}
	m.commitBatch.Observe(float64(writes))
	m.commitDuration.Observe(d.Seconds())
}

// WatchPool adds the statistics of a PostgreSQL connection pool.
func (m *Metrics) WatchPool(pool *pgxpool.Pool) {
	if m == nil || pool == nil {
		return
	}
	m.reg.MustRegister(&poolCollector{pool: pool})
}

// CountPayments returns p with every Charge counted by outcome under mode
// ("test" or "live"). A nil m or an unavailable p is returned as it is, so
// payments.Available still sees an unconfigured processor.
func (m *Metrics) CountPayments(mode string, p payments.Processor) payments.Processor {
	if m == nil || !payments.Available(p) {
		return p
	}
	return &countingProcessor{Processor: p, m: m, mode: mode}
}

type countingProcessor struct {
	payments.Processor
	m    *Metrics
	mode string
}

func (c *countingProcessor) Charge(ctx context.Context, req payments.ChargeRequest) (payments.Outcome, error) {
	out, err := c.Processor.Charge(ctx, req)
	switch {
	case err != nil:
		c.m.Payment(c.mode, "error")
	case out.Success:
		c.m.Payment(c.mode, "succeeded")
	default:
		c.m.Payment(c.mode, "declined")
	}
	return out, err
}
