package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// clock is an injectable service clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func ptr[T any](v T) *T { return &v }

func wantKind(t *testing.T, what string, err error, kind paylinks.ErrorKind, code, param string) {
	t.Helper()
	e := paylinks.AsError(err)
	if e == nil || e.Kind != kind || e.Code != code || e.Param != param {
		t.Errorf("%s: got error %v, want %s %s (param %q)", what, err, kind, code, param)
	}
}

func TestUpdateLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e := newPayEnv(t, backend, service.Options{})
		l := e.link(t, e.secret, service.LinkParams{Amount: 9900, Currency: "USD", Description: "d",
			SuccessURL: "https://example.com/ok", CancelURL: "https://example.com/no", Multiple: true})

		got, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Title: ptr("New"), Description: ptr(""),
			SuccessURL: ptr(""), AmountDecimal: ptr("12.5"), Active: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		want := *l
		want.Title, want.Description, want.SuccessURL, want.Amount, want.Active = "New", "", "", 1250, false
		want.UpdatedAt = got.UpdatedAt
		if !got.UpdatedAt.After(l.UpdatedAt) {
			t.Errorf("updatedAt %v did not move past %v", got.UpdatedAt, l.UpdatedAt)
		}
		if *got != want {
			t.Errorf("UpdateLink: got %+v, want %+v", *got, want)
		}
		stored, err := e.svc.GetLink(ctx, e.secret, l.ID, "x")
		if err != nil || *stored != want {
			t.Errorf("GetLink after UpdateLink: got %+v, %v; want %+v", stored, err, want)
		}

		tests := []struct {
			name        string
			u           service.LinkUpdate
			kind        paylinks.ErrorKind
			code, param string
		}{
			{"empty title", service.LinkUpdate{Title: ptr("  ")}, paylinks.KindInvalid, "bad_request", "title"},
			{"three decimals", service.LinkUpdate{AmountDecimal: ptr("1.005")}, paylinks.KindInvalid, "invalid_amount", "amount"},
			{"below the minimum", service.LinkUpdate{AmountDecimal: ptr("0.01")}, paylinks.KindInvalid, "invalid_amount", "amount"},
			{"currency without amount", service.LinkUpdate{Currency: ptr("EUR")}, paylinks.KindInvalid, "invalid_amount", "amount"},
			{"unknown currency", service.LinkUpdate{Currency: ptr("XXX"), AmountDecimal: ptr("1")}, paylinks.KindInvalid, "invalid_currency", "currency"},
			{"JPY with decimals", service.LinkUpdate{Currency: ptr("jpy"), AmountDecimal: ptr("1000.00")}, paylinks.KindInvalid, "invalid_amount", "amount"},
			{"http success url", service.LinkUpdate{SuccessURL: ptr("http://example.com")}, paylinks.KindInvalid, "bad_request", "success_url"},
		}
		for _, tt := range tests {
			_, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", tt.u)
			wantKind(t, tt.name, err, tt.kind, tt.code, tt.param)
		}
		got, err = e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Currency: ptr("jpy"), AmountDecimal: ptr("1000")})
		if err != nil || got.Currency != "JPY" || got.Amount != 1000 {
			t.Errorf("currency change: got %+v, %v; want 1000 JPY", got, err)
		}
		if _, err := e.svc.UpdateLink(ctx, e.public, l.ID, "x", service.LinkUpdate{Title: ptr("t")}); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("UpdateLink with a public key: got %v, want forbidden", err)
		}
		if _, err := e.svc.DeleteLink(ctx, e.secret, l.ID, "x"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Title: ptr("t")})
		wantKind(t, "UpdateLink of a deleted link", err, paylinks.KindNotFound, "not_found", "id")
	})
}

func TestSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		e := newPayEnv(t, backend, service.Options{Now: clk.now})
		l := e.link(t, e.secret, service.LinkParams{Amount: 9900, Currency: "USD", Multiple: true, SuccessURL: "https://example.com/ok"})

		s, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		if err != nil {
			t.Fatal(err)
		}
		if s.Amount != 9900 || s.Currency != "USD" || s.SuccessURL != l.SuccessURL || !s.ExpiresAt.Equal(clk.now().Add(service.DefaultSessionTTL)) {
			t.Errorf("link-mode session: got %+v", s)
		}
		// A new amount affects only sessions made afterwards.
		if _, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{AmountDecimal: ptr("120.00")}); err != nil {
			t.Fatal(err)
		}
		again, err := e.svc.GetSession(ctx, e.secret, s.ID, "x")
		if err != nil || again.Amount != 9900 {
			t.Errorf("the old session after a price change: got %+v, %v; want 9900", again, err)
		}
		s2, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		if err != nil || s2.Amount != 12000 {
			t.Errorf("a new session after a price change: got %+v, %v; want 12000", s2, err)
		}

		tests := []struct {
			name        string
			p           service.SessionParams
			code, param string
		}{
			{"link and amount", service.SessionParams{LinkID: &l.ID, Amount: 100, Currency: "USD"}, "bad_request", "amount"},
			{"no such link", service.SessionParams{LinkID: ptr(paylinks.ID{1})}, "link_not_found", "link_id"},
			{"no currency", service.SessionParams{Amount: 100}, "invalid_currency", "currency"},
			{"too small", service.SessionParams{Amount: 1, Currency: "USD"}, "invalid_amount", "amount"},
			{"expiry too soon", service.SessionParams{Amount: 100, Currency: "USD", ExpiresAt: clk.now().Add(time.Minute)}, "invalid_expires_at", "expires_at"},
			{"expiry too late", service.SessionParams{Amount: 100, Currency: "USD", ExpiresAt: clk.now().Add(25 * time.Hour)}, "invalid_expires_at", "expires_at"},
			{"bad cancel url", service.SessionParams{Amount: 100, Currency: "USD", CancelURL: "ftp://x"}, "bad_request", "cancel_url"},
		}
		for _, tt := range tests {
			_, err := e.svc.CreateSession(ctx, e.secret, tt.p)
			wantKind(t, tt.name, err, paylinks.KindInvalid, tt.code, tt.param)
		}

		// Deactivated: no new session, the old one stays payable.
		if _, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Active: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		wantKind(t, "session of an inactive link", err, paylinks.KindConflict, "link_inactive", "link_id")
		if _, err := e.svc.DeleteLink(ctx, e.secret, l.ID, "x"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		wantKind(t, "session of a deleted link", err, paylinks.KindConflict, "link_deleted", "link_id")

		c, paid, err := e.svc.PaySession(ctx, service.PaySessionParams{SessionID: s.ID, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err != nil || !c.Paid() || paid.Status != paylinks.SessionComplete || c.Amount != 9900 || *c.SessionID != s.ID {
			t.Fatalf("PaySession of a deleted link's session: got %+v, %+v, %v", c, paid, err)
		}
		_, _, err = e.svc.PaySession(ctx, service.PaySessionParams{SessionID: s.ID, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		wantKind(t, "PaySession again", err, paylinks.KindGone, "session_complete", "")

		// Expiry with the injected clock.
		adhoc, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{Amount: 500, Currency: "usd", ExpiresAt: clk.now().Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		clk.add(10 * time.Minute)
		got, err := e.svc.GetSession(ctx, e.secret, adhoc.ID, "x")
		if err != nil || got.Status != paylinks.SessionExpired {
			t.Errorf("session past its expiry: got %+v, %v; want expired", got, err)
		}
		_, _, err = e.svc.PaySession(ctx, service.PaySessionParams{SessionID: adhoc.ID, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		wantKind(t, "PaySession of an expired session", err, paylinks.KindGone, "session_expired", "")

		if _, err := e.svc.CreateSession(ctx, e.public, service.SessionParams{Amount: 500, Currency: "USD"}); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("CreateSession with a public key: got %v, want forbidden", err)
		}
	})
}

func TestPaySessionSingleUseConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e := newPayEnv(t, backend, service.Options{})
		l := e.link(t, e.secret, service.LinkParams{Amount: 100000})
		var sessions []*paylinks.CheckoutSession
		for range 4 {
			s, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
			if err != nil {
				t.Fatal(err)
			}
			sessions = append(sessions, s)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		paid := 0
		for _, s := range sessions {
			for range 3 {
				wg.Go(func() {
					c, _, err := e.svc.PaySession(ctx, service.PaySessionParams{SessionID: s.ID, Card: goodCard("4242424242424242"), Email: "a@example.com"})
					if err == nil && c.Paid() {
						mu.Lock()
						paid++
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if paid != 1 {
			t.Errorf("sessions of one single-use link: %d paid, want 1", paid)
		}
	})
}

func TestPayLinkMakesSession(t *testing.T) {
	ctx := context.Background()
	e := newPayEnv(t, "sqlite", service.Options{})
	l := e.link(t, e.secret, service.LinkParams{Amount: 100000, Multiple: true})
	c, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
	if err != nil || c.SessionID == nil {
		t.Fatalf("PayLink: got %+v, %v; want a charge with a session", c, err)
	}
	s, err := e.svc.GetSession(ctx, e.secret, *c.SessionID, "x")
	if err != nil || s.Status != paylinks.SessionComplete || *s.ChargeID != c.ID || *s.LinkID != l.ID || s.Amount != c.Amount {
		t.Errorf("the payment's session: got %+v, %v", s, err)
	}
}

func TestIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		e := newPayEnv(t, backend, service.Options{Now: clk.now})
		first, err := e.svc.BeginIdempotent(ctx, e.secret, "k", []byte("h1"))
		if err != nil || first.Replay != nil {
			t.Fatalf("first request: got %+v, %v", first, err)
		}
		_, err = e.svc.BeginIdempotent(ctx, e.secret, "k", []byte("h1"))
		wantKind(t, "while the first runs", err, paylinks.KindConflict, "idempotency_key_in_use", "Idempotency-Key")
		_, err = e.svc.BeginIdempotent(ctx, e.secret, "k", []byte("h2"))
		wantKind(t, "another request", err, paylinks.KindConflict, "idempotency_key_reused", "Idempotency-Key")
		if err := e.svc.FinishIdempotent(ctx, first, 201, map[string]string{"Content-Type": "application/json"}, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		again, err := e.svc.BeginIdempotent(ctx, e.secret, "k", []byte("h1"))
		if err != nil || again.Replay == nil || again.Replay.ResponseStatus != 201 || string(again.Replay.ResponseBody) != "{}" {
			t.Fatalf("a repeat: got %+v, %v; want the stored response", again, err)
		}
		// The live key of the same account is another key.
		if r, err := e.svc.BeginIdempotent(ctx, e.liveSecr, "k", []byte("h2")); err != nil || r.Replay != nil {
			t.Errorf("the same key in live mode: got %+v, %v; want a first request", r, err)
		}
		clk.add(service.IdempotencyTTL)
		if r, err := e.svc.BeginIdempotent(ctx, e.secret, "k", []byte("h2")); err != nil || r.Replay != nil {
			t.Errorf("after expiry: got %+v, %v; want a first request", r, err)
		}
		for _, bad := range []string{"", string(make([]byte, 256)), "new\nline"} {
			_, err := e.svc.BeginIdempotent(ctx, e.secret, bad, []byte("h"))
			wantKind(t, "key "+bad, err, paylinks.KindInvalid, "invalid_idempotency_key", "Idempotency-Key")
		}
	})
}
