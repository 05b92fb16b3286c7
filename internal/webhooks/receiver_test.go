package webhooks_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/webhooks"
)

// delivery is one request a receiver got.
type delivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a real HTTP server on port 0 that records every delivery and
// answers as answer says (200 when nil).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int, w http.ResponseWriter, r *http.Request) // n counts from 0
	added  chan struct{}
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer, added: make(chan struct{}, 1)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), body: body, at: time.Now()})
		rc.mu.Unlock()
		select {
		case rc.added <- struct{}{}:
		default:
		}
		if rc.answer != nil {
			rc.answer(n, w, r)
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/hooks" }

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// wait returns the deliveries once there are at least n, failing the test
// after timeout.
func (rc *receiver) wait(t *testing.T, n int, timeout time.Duration) []delivery {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if d := rc.deliveries(); len(d) >= n {
			return d
		}
		select {
		case <-rc.added:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			t.Fatalf("receiver got %d deliveries in %s, want %d", len(rc.deliveries()), timeout, n)
		}
	}
}

// still checks that no more than n deliveries arrive within d.
func (rc *receiver) still(t *testing.T, n int, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	if got := len(rc.deliveries()); got != n {
		t.Fatalf("receiver got %d deliveries, want still %d", got, n)
	}
}

// hmacKey is a secret's key as a merchant decodes it: base64 after whsec_.
func hmacKey(t *testing.T, secret string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q is not whsec_ and base64", secret[:8])
	}
	return k
}

func hexMAC(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// verifyV1 checks X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
// "{t}.{body}">, one v1 per live secret, written from the formula.
func verifyV1(t *testing.T, d delivery, secret string) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(d.header.Get("X-Webhook-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return errors.New("no X-Webhook-Signature")
	}
	want := hexMAC(hmacKey(t, secret), ts+"."+string(d.body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

// verifyOmise checks Omise-Signature (hex HMAC-SHA256 of
// "{timestamp}.{body}", comma-separated during a rotation) and
// Omise-Signature-Timestamp.
func verifyOmise(t *testing.T, d delivery, secret string) error {
	ts := d.header.Get("Omise-Signature-Timestamp")
	if ts == "" || d.header.Get("Omise-Signature") == "" {
		return errors.New("no Omise-Signature")
	}
	want := hexMAC(hmacKey(t, secret), ts+"."+string(d.body))
	for s := range strings.SplitSeq(d.header.Get("Omise-Signature"), ",") {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("no Omise signature matches")
}

// verifyStandard verifies with the Standard Webhooks library, as a
// merchant's receiver would; the timestamp tolerance is checked only on the
// real clock.
func verifyStandard(d delivery, secret string, realClock bool) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	if realClock {
		return wh.Verify(d.body, d.header)
	}
	return wh.VerifyIgnoringTimestamp(d.body, d.header)
}

// hookEnv is a real server on a real store with a dispatcher running.
type hookEnv struct {
	*servertest.Env
	clock *servertest.Clock
	d     *webhooks.Dispatcher
	pr    paylinks.Principal // the account's test secret key
	live  paylinks.Principal
}

func newHookEnv(t *testing.T, backend string, clock *servertest.Clock, opt webhooks.Options) *hookEnv {
	t.Helper()
	var now func() time.Time
	if clock != nil {
		now = clock.Now
	}
	env := servertest.New(t, backend, servertest.Options{Now: now})
	srv := server.New(server.Config{Service: env.Service, PublicURL: env.URL})
	opt.Store, opt.Render, opt.Now = env.Store, srv.WebhookRenderer(), now
	if opt.Poll == 0 {
		opt.Poll = 5 * time.Millisecond
	}
	d := webhooks.New(opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	h := &hookEnv{Env: env, clock: clock, d: d}
	var err error
	if h.pr, err = env.Service.Authenticate(context.Background(), env.SecretTest); err != nil {
		t.Fatal(err)
	}
	if h.live, err = env.Service.Authenticate(context.Background(), env.SecretLive); err != nil {
		t.Fatal(err)
	}
	return h
}

// endpoint creates an endpoint over the v1 API with key and returns its id
// and secret.
func (h *hookEnv) endpoint(t *testing.T, key string, body map[string]any) (string, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/webhook_endpoints", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID, Secret string }
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("create endpoint: %d %s", resp.StatusCode, raw)
	}
	return out.ID, out.Secret
}

// getJSON GETs path with key and decodes the answer.
func (h *hookEnv) getJSON(t *testing.T, key, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", h.URL+path, nil)
	req.SetBasicAuth(key, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, v) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
}

// link creates a link in pr's mode: one link.create event.
func (h *hookEnv) link(t *testing.T, pr paylinks.Principal, title string) *paylinks.Link {
	t.Helper()
	l, err := h.Service.CreateLink(context.Background(), pr, service.LinkParams{Title: title, Amount: 12345, Currency: "THB"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func card() service.CardInput {
	return service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "Somchai P", ExpirationMonth: 12,
		ExpirationYear: time.Now().Year() + 2}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}
