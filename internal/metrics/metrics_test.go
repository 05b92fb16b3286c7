package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/paylinks/paylinks/internal/payments"
)

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("GET /links", "GET", 200, 10, time.Millisecond)
	m.Payment("test", "succeeded")
	m.WebhookDelivery("delivered", time.Second)
	m.WatchWebhookQueue(func() float64 { return 3 })
	m.ObserveCommit(4, time.Millisecond)
	m.WatchSQLite()
	m.WatchPool(nil)
	sim := &payments.Simulator{}
	if got := m.CountPayments("test", sim); got != payments.Processor(sim) {
		t.Errorf("nil metrics wrapped the processor: %T", got)
	}
}

func TestCountPayments(t *testing.T) {
	m := New()
	if p := m.CountPayments("live", payments.Unconfigured{}); payments.Available(p) {
		t.Error("an unconfigured processor became available once counted")
	}
	if p := m.CountPayments("live", nil); p != nil {
		t.Errorf("nil processor wrapped: %T", p)
	}
	p := m.CountPayments("test", &payments.Simulator{})
	for _, number := range []string{"4242424242424242", "4111111111140011", "4111111111140011"} {
		ref, err := p.Tokenize(context.Background(), payments.CardDetails{Number: number})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Charge(context.Background(), payments.ChargeRequest{Ref: ref, Amount: 100, Currency: "THB", IdempotencyKey: number + ref}); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(m.payments.WithLabelValues("test", "succeeded")); got != 1 {
		t.Errorf("succeeded = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.payments.WithLabelValues("test", "declined")); got != 2 {
		t.Errorf("declined = %v, want 2", got)
	}
}

func TestHandlerServesSeries(t *testing.T) {
	m := New()
	m.ObserveRequest("", "GET", 404, 19, time.Millisecond)
	m.WebhookDelivery("delivered", 2*time.Second)
	m.WebhookDelivery(WebhookRetry, 0)
	m.WatchWebhookQueue(func() float64 { return 7 })
	m.WatchSQLite()
	m.ObserveCommit(3, time.Millisecond)
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	for _, want := range []string{
		`paylinks_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`paylinks_webhook_deliveries_total{outcome="delivered"} 1`,
		`paylinks_webhook_deliveries_total{outcome="retry"} 1`,
		`paylinks_webhook_delivery_lag_seconds_count 1`,
		`paylinks_webhook_queue_depth 7`,
		`paylinks_sqlite_commit_batch_writes_sum 3`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
