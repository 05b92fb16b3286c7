package v1_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

func TestIdempotencyReplayAndMismatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		body := `{"title": "Once", "fiatAmount": "5"}`
		first := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "k1")
		if first.status != 201 || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %s replayed=%q", first.status, first.raw, first.header.Get("Idempotent-Replayed"))
		}
		for range 2 {
			r := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "k1")
			if r.status != 201 || r.raw != first.raw || r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("repeat: %d %s replayed=%q, want the first answer", r.status, r.raw, r.header.Get("Idempotent-Replayed"))
			}
		}
		c.do("POST", "/api/v1/payment_links", `{"title": "Other", "fiatAmount": "5"}`, "Idempotency-Key", "k1").
			wantError(t, 409, "conflict", "idempotency_key_reused", "Idempotency-Key")
		c.do("PATCH", "/api/v1/payment_links/"+first.str("id"), body, "Idempotency-Key", "k1").
			wantError(t, 409, "conflict", "idempotency_key_reused", "Idempotency-Key")
		// Keys are per account and mode.
		other := client{t: t, base: env.URL, key: env.OtherSecretTest}
		if r := other.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "k1"); r.status != 201 || r.str("id") == first.str("id") {
			t.Errorf("another account with the same key: %d %s", r.status, r.raw)
		}
		// A validation error is not stored: the key may be retried fixed.
		c.do("POST", "/api/v1/payment_links", `{"title": "Fix me"}`, "Idempotency-Key", "k2").
			wantError(t, 400, "invalid_request", "parameter_missing", "fiatAmount")
		if r := c.do("POST", "/api/v1/payment_links", `{"title": "Fix me", "fiatAmount": "7"}`, "Idempotency-Key", "k2"); r.status != 201 {
			t.Errorf("the key after a refused request: %d %s, want 201", r.status, r.raw)
		}
		// Nor is a permission error.
		ro := client{t: t, base: env.URL, key: servertest.MustKey(t, env.Service, env.Account.ID, false, paylinks.KeyRestricted, paylinks.ScopeLinksRead)}
		ro.do("DELETE", "/api/v1/payment_links/"+first.str("id"), "", "Idempotency-Key", "k3").wantError(t, 403, "permission", "missing_scope", "")
		del := c.do("DELETE", "/api/v1/payment_links/"+first.str("id"), "", "Idempotency-Key", "k3")
		if del.status != 200 {
			t.Errorf("delete with the key after a refused one: %d %s", del.status, del.raw)
		}
		// A 404 is not stored; a stored DELETE replays even after the link is gone.
		if r := c.do("DELETE", "/api/v1/payment_links/"+first.str("id"), "", "Idempotency-Key", "k3"); r.raw != del.raw || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("repeated delete: %d %s", r.status, r.raw)
		}
		c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", strings.Repeat("x", 256)).
			wantError(t, 400, "invalid_request", "invalid_idempotency_key", "Idempotency-Key")

		// The Omise dialect honours the header too, with its own error shape.
		form := url.Values{"amount": {"19000"}, "currency": {"thb"}, "title": {"Latte"}, "description": {"Hot"}}.Encode()
		omise := func(f string) (int, string, http.Header) {
			req, _ := http.NewRequest("POST", env.URL+"/links", strings.NewReader(f))
			req.SetBasicAuth(env.SecretTest, "")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Idempotency-Key", "omise-1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		s1, b1, _ := omise(form)
		s2, b2, h2 := omise(form)
		if s1 != 200 || s2 != 200 || b1 != b2 || h2.Get("Idempotent-Replayed") != "true" {
			t.Errorf("Omise replay: %d %s / %d %s", s1, b1, s2, b2)
		}
		if s, b, _ := omise(form + "&multiple=true"); s != 409 || !strings.Contains(b, `"object":"error"`) || !strings.Contains(b, "idempotency_key_reused") {
			t.Errorf("Omise mismatch: %d %s, want 409 Omise error", s, b)
		}
	})
}

// blockingStore holds CreateLink until release is closed, so that a request
// stays in flight.
type blockingStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) CreateLink(ctx context.Context, l *paylinks.Link, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.CreateLink(ctx, l, ev, idem)
}

func TestIdempotencyConcurrent(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			bs := &blockingStore{Store: servertest.OpenStore(t, backend), entered: make(chan struct{}, 1), release: make(chan struct{})}
			env := servertest.New(t, backend, servertest.Options{Store: bs})
			c := client{t: t, base: env.URL, key: env.SecretTest}
			body := `{"title": "Slow", "fiatAmount": "5"}`
			var first reply
			var wg sync.WaitGroup
			wg.Go(func() { first = c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "slow") })
			<-bs.entered // the first request runs and holds the key
			c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "slow").
				wantError(t, 409, "conflict", "idempotency_key_in_use", "Idempotency-Key")
			c.do("POST", "/api/v1/payment_links", `{"title": "Other", "fiatAmount": "5"}`, "Idempotency-Key", "slow").
				wantError(t, 409, "conflict", "idempotency_key_reused", "Idempotency-Key")
			close(bs.release)
			wg.Wait()
			if first.status != 201 {
				t.Fatalf("first: %d %s", first.status, first.raw)
			}
			go func() {
				for range bs.entered { // later creates pass straight through
				}
			}()
			if r := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "slow"); r.raw != first.raw || r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("after the first finished: %d %s, want its answer", r.status, r.raw)
			}
			close(bs.entered)
		})
	}
}

func TestIdempotencyExpiry(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			var mu sync.Mutex
			now := time.Now().UTC()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			env := servertest.New(t, backend, servertest.Options{Now: clock})
			c := client{t: t, base: env.URL, key: env.SecretTest}
			body := `{"title": "Daily", "fiatAmount": "5"}`
			first := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "day")
			mu.Lock()
			now = now.Add(24*time.Hour - time.Second)
			mu.Unlock()
			if r := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "day"); r.raw != first.raw {
				t.Errorf("just before 24 h: %d %s, want the replay", r.status, r.raw)
			}
			mu.Lock()
			now = now.Add(time.Second)
			mu.Unlock()
			r := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "day")
			if r.status != 201 || r.str("id") == first.str("id") || r.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("after 24 h: %d %s, want a new link", r.status, r.raw)
			}
		})
	}
}

// TestIdempotencyAcrossServers runs two servers on one PostgreSQL schema:
// a key used on one is replayed, refused or in use on the other.
func TestIdempotencyAcrossServers(t *testing.T) {
	dsn := postgres.TestDSN(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dsn, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := servertest.New(t, "postgres", servertest.Options{Store: open()})
	bs := &blockingStore{Store: open(), entered: make(chan struct{}, 1), release: make(chan struct{})}
	b := servertest.New(t, "postgres", servertest.Options{Store: bs})
	ca := client{t: t, base: a.URL, key: a.SecretTest}
	cb := client{t: t, base: b.URL, key: a.SecretTest} // the same key, on the other replica

	body := `{"title": "Replica", "fiatAmount": "5"}`
	first := ca.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "r1")
	if first.status != 201 {
		t.Fatalf("first on A: %d %s", first.status, first.raw)
	}
	if r := cb.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "r1"); r.raw != first.raw || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat on B: %d %s, want A's answer", r.status, r.raw)
	}
	cb.do("POST", "/api/v1/payment_links", `{"title": "X", "fiatAmount": "5"}`, "Idempotency-Key", "r1").
		wantError(t, 409, "conflict", "idempotency_key_reused", "Idempotency-Key")

	// In flight on B: A sees the key in use.
	var slow reply
	var wg sync.WaitGroup
	wg.Go(func() { slow = cb.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "r2") })
	<-bs.entered
	ca.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "r2").
		wantError(t, 409, "conflict", "idempotency_key_in_use", "Idempotency-Key")
	close(bs.release)
	wg.Wait()
	if r := ca.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "r2"); r.raw != slow.raw {
		t.Errorf("after B finished, A: %d %s, want B's answer %s", r.status, r.raw, slow.raw)
	}
	if l := ca.do("GET", "/api/v1/payment_links", ""); len(l.body["data"].([]any)) != 2 {
		t.Errorf("links: %s, want exactly 2", l.raw)
	}
}

// TestIdempotencyAfterCrash: a create whose response was never stored (the
// crash fell between its commit and the stored response) is answered, when
// the same request is retried after the key's lock lapsed, with the link it
// made, not a second link.
func TestIdempotencyAfterCrash(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			clock := servertest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			st := &servertest.DyingStore{Store: servertest.OpenStore(t, backend)}
			env := servertest.New(t, backend, servertest.Options{Store: st, Now: clock.Now})
			c := client{t: t, base: env.URL, key: env.SecretTest}
			title := "Crash " + backend
			body := `{"title": "` + title + `", "fiatAmount": "5"}`

			st.Dying.Store(true)
			first := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "crash")
			if first.status != 201 {
				t.Fatalf("first: %d %s", first.status, first.raw)
			}
			st.Dying.Store(false)
			// While the dead request's lock holds, the key is in use.
			c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "crash").
				wantError(t, 409, "conflict", "idempotency_key_in_use", "Idempotency-Key")

			clock.Add(time.Hour) // the lock lapses; the record has not expired
			retry := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "crash")
			if retry.status != 201 || retry.str("id") != first.str("id") || retry.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("the retry after the lapse: %d %s, want 201 with link %s", retry.status, retry.raw, first.str("id"))
			}
			// Its answer is stored now: the next retry replays it.
			if r := c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "crash"); r.raw != retry.raw || r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("a second retry: %d %s replayed=%q, want the stored answer", r.status, r.raw, r.header.Get("Idempotent-Replayed"))
			}
			links, _, err := env.Store.ListLinks(t.Context(), paylinks.LinkFilter{AccountID: env.Account.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, l := range links {
				if l.Title == title {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d links titled %q, want 1", n, title)
			}

			// A checkout session the same way.
			sessBody := `{"amount": {"value": "120.00", "currency": "THB"}}`
			st.Dying.Store(true)
			sess := c.do("POST", "/api/v1/checkout_sessions", sessBody, "Idempotency-Key", "crash-s")
			st.Dying.Store(false)
			if sess.status != 201 {
				t.Fatalf("POST /api/v1/checkout_sessions: %d %s", sess.status, sess.raw)
			}
			clock.Add(time.Hour)
			if r := c.do("POST", "/api/v1/checkout_sessions", sessBody, "Idempotency-Key", "crash-s"); r.status != 201 || r.str("id") != sess.str("id") {
				t.Errorf("the session's retry after the lapse: %d %s, want 201 with session %s", r.status, r.raw, sess.str("id"))
			}

			// Another request with the key, after its lock lapsed, is a new
			// request: it makes its own link.
			st.Dying.Store(true)
			c.do("POST", "/api/v1/payment_links", body, "Idempotency-Key", "crash-2")
			st.Dying.Store(false)
			clock.Add(time.Hour)
			other := c.do("POST", "/api/v1/payment_links", `{"title": "Other", "fiatAmount": "6"}`, "Idempotency-Key", "crash-2")
			if other.status != 201 || other.str("title") != "Other" {
				t.Errorf("another request after the lapse: %d %s, want a new link", other.status, other.raw)
			}
		})
	}
}
