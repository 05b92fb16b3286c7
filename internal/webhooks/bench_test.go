package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/webhooks"
)

// BenchmarkDrain measures how fast one process drains a backlog of b.N
// events to one endpoint on a local receiver: lease, render, sign, POST,
// record. Reported as events/s.
func BenchmarkDrain(b *testing.B) {
	for _, backend := range servertest.Backends() {
		b.Run(backend, func(b *testing.B) {
			env := servertest.New(b, backend)
			ctx := context.Background()
			pr, err := env.Service.Authenticate(ctx, env.SecretTest)
			if err != nil {
				b.Fatal(err)
			}
			var got atomic.Int64
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
			defer rc.Close()
			if _, err := env.Service.CreateWebhookEndpoint(ctx, pr, service.WebhookEndpointParams{URL: new(rc.URL),
				Events: []string{"*"}}); err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				if _, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: "Bench " + strconv.Itoa(i), Amount: 5000,
					Currency: "THB", Multiple: true}); err != nil {
					b.Fatal(err)
				}
			}
			srv := server.New(server.Config{Service: env.Service, PublicURL: env.URL})
			d := webhooks.New(webhooks.Options{Store: env.Store, Render: srv.WebhookRenderer()})
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			b.ResetTimer()
			start := time.Now()
			go func() {
				defer close(done)
				d.Run(runCtx)
			}()
			for got.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			cancel()
			<-done
		})
	}
}
