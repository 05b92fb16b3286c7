package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/paylinks/paylinks/internal/metrics"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// serveMetrics serves Prometheus metrics at /metrics on addr, apart from
// the API, with the store's own statistics (SQLite group commits or the
// PostgreSQL pool). It prints "paylinks: metrics on http://ADDR/metrics"
// and returns the metrics to record into and the function that stops the
// listener. An empty addr turns metrics off: nil metrics record nothing.
func serveMetrics(addr string, st store.Store, stdout io.Writer) (*metrics.Metrics, func(), error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, nil, fmt.Errorf("--metrics-addr %q: want HOST:PORT, e.g. 127.0.0.1:9090: %w", addr, err)
	}
	m := metrics.New()
	switch db := st.(type) {
	case *sqlite.DB:
		m.WatchSQLite()
		db.ObserveCommits(m)
	case *postgres.DB:
		m.WatchPool(db.Pool())
	}
	if q, ok := st.(webhookQueue); ok {
		m.WatchWebhookQueue(func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := q.PendingWebhookDeliveries(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stdout, "paylinks: metrics on http://%s/metrics\n", ln.Addr().String())
	return m, func() {
		if db, ok := st.(*sqlite.DB); ok {
			db.ObserveCommits(nil)
		}
		srv.Close()
	}, nil
}

// webhookQueue is a store that counts the webhook deliveries waiting.
type webhookQueue interface {
	PendingWebhookDeliveries(ctx context.Context) (int, error)
}
