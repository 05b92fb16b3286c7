package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/paylinks/paylinks/internal/metrics"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// BenchmarkMiddleware measures what the middleware (request id, access
// log, metrics) costs on the cheapest route, GET /healthz, with metrics
// off and on; the access log is written to io.Discard as JSON.
func BenchmarkMiddleware(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	svc := service.New(st, service.Options{Logger: log})
	for _, tc := range []struct {
		name string
		m    *metrics.Metrics
	}{{"metrics=off", nil}, {"metrics=on", metrics.New()}} {
		b.Run(tc.name, func(b *testing.B) {
			s := New(Config{Service: svc, PublicURL: "http://example.test", Logger: log, Metrics: tc.m})
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
