package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// benchReceiver is the webhook receiver of the webhooks scenarios: a stdlib
// server in the harness that answers 200 and notes, for each delivery, the
// lag from the event's commit (its createdAt, to the millisecond) to its
// arrival.
type benchReceiver struct {
	url         string
	mu          sync.Mutex
	lags        []time.Duration
	first, last time.Time
}

var hooks struct {
	once sync.Once
	r    *benchReceiver
	err  error
}

func startReceiver() (*benchReceiver, error) {
	hooks.once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			hooks.err = err
			return
		}
		r := &benchReceiver{url: "http://" + ln.Addr().String() + "/hooks"}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			now := time.Now()
			body, _ := io.ReadAll(req.Body)
			var ev struct {
				CreatedAt time.Time `json:"createdAt"`
			}
			json.Unmarshal(body, &ev)
			r.mu.Lock()
			if r.first.IsZero() {
				r.first = now
			}
			r.last = now
			if !ev.CreatedAt.IsZero() {
				r.lags = append(r.lags, now.Sub(ev.CreatedAt))
			}
			r.mu.Unlock()
		}), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		hooks.r = r
	})
	return hooks.r, hooks.err
}

// webhooksReady subscribes one v1 endpoint to every event, once.
func webhooksReady(ctx context.Context, c *http.Client, e *env) string {
	if e.secretKey == "" {
		return "no secret key"
	}
	r, err := startReceiver()
	if err != nil {
		return "receiver: " + err.Error()
	}
	if hooksSubscribed {
		return ""
	}
	body := `{"url":"` + r.url + `","events":["*"],"format":"v1"}`
	req, err := http.NewRequestWithContext(ctx, "POST", e.base+"/api/v1/webhook_endpoints", strings.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+e.secretKey)
	req.Header.Set("Content-Type", "application/json")
	if _, err := send(c, req, http.StatusCreated); err != nil {
		return "POST /api/v1/webhook_endpoints: " + err.Error()
	}
	hooksSubscribed = true
	return ""
}

// hooksSubscribed is set once the endpoint exists (scenarios run one at a
// time).
var hooksSubscribed bool

// webhooksNote waits for the deliveries to drain (no new one for 2 s) and
// reports how many arrived, at what rate, and their commit-to-delivery lag.
func webhooksNote(ctx context.Context, e *env) string {
	r := hooks.r
	if r == nil {
		return ""
	}
	count := func() int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.lags)
	}
	n, still := count(), time.Now()
	for time.Since(still) < 2*time.Second && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		if m := count(); m != n {
			n, still = m, time.Now()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lags) == 0 {
		return "no webhook delivered"
	}
	lags := slices.Clone(r.lags)
	slices.Sort(lags)
	span := r.last.Sub(r.first).Seconds()
	pct := func(p float64) float64 { return float64(lags[int(p*float64(len(lags)-1))].Microseconds()) / 1000 }
	note := fmt.Sprintf("webhooks so far: %d delivered, %.0f events/s, lag from commit to delivery p50 %.1f ms, p99 %.1f ms",
		len(lags), float64(len(lags))/max(span, 1e-9), pct(0.50), pct(0.99))
	r.lags, r.first, r.last = r.lags[:0], time.Time{}, time.Time{}
	return note
}
