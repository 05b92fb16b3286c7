package dashboard_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// TestReplicas: two servers, each with its own pool on one PostgreSQL
// database and the server secret read from it (as serve does): a user
// signs in on one and acts on the other with that session and its CSRF
// tokens (create and edit a link; refund half of its payment on the other,
// seen on the first with its timeline and on home); sign-out on one ends
// the session on both; the sign-in limit is shared.
func TestReplicas(t *testing.T) {
	dsn := postgres.TestDSN(t)
	ctx := context.Background()
	var urls [2]string
	var svc *service.Service
	for i := range urls {
		st, err := postgres.Open(ctx, dsn, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		secret, err := st.ServerSecret(ctx, "checkout", func() ([]byte, error) {
			b := make([]byte, 32)
			_, err := rand.Read(b)
			return b, err
		})
		if err != nil {
			t.Fatal(err)
		}
		s := service.New(st, service.Options{})
		if i == 0 {
			svc = s
			if _, err := s.EnsureAccount(ctx, "acme"); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(server.New(server.Config{Service: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Checkout: checkout.Options{Secret: secret}}))
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	_, token, err := svc.CreateUser(ctx, service.UserParams{Account: "acme", Email: "o@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// Set the password on A, sign in on B, create a link on A with B's page's token.
	a := newBrowser(t, urls[0])
	wantRedirect(t, a.submit("/dashboard/setup?token="+token, "/dashboard/setup", url.Values{"token": {token}, "password": {password}, "confirm": {password}}),
		http.StatusSeeOther, "/dashboard/signin?set=1")
	b := newBrowser(t, urls[1])
	wantRedirect(t, b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"o@example.com"}, "password": {password}}),
		http.StatusSeeOther, "/dashboard/links")
	tokenB := b.csrf("/dashboard/links/new")
	bu, _ := url.Parse(urls[1] + "/dashboard/")
	onA := newBrowser(t, urls[0])
	au, _ := url.Parse(urls[0] + "/dashboard/")
	onA.c.Jar.SetCookies(au, b.c.Jar.Cookies(bu))
	p := onA.post("/dashboard/links", url.Values{"csrf": {tokenB}, "title": {"Replicated"}, "amount": {"50.00"}, "currency": {"THB"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create a link on A with the session and token of B: %d\n%s", p.status, p.body)
	}
	if got := b.get(p.header.Get("Location")); got.status != http.StatusOK || !strings.Contains(got.body, "Replicated") {
		t.Errorf("the link on B: %d", got.status)
	}
	// Edit the link on A with the session from B; B shows the change.
	linkPath := p.header.Get("Location")
	edit := linkPath + "/edit"
	wantRedirect(t, onA.post(edit, url.Values{"csrf": {tokenB}, "title": {"Replicated, edited"}, "description": {""}, "amount": {"60.00"}, "success_url": {""}}),
		http.StatusSeeOther, linkPath+"?done=saved")
	if got := b.get(linkPath); !strings.Contains(got.body, "Replicated, edited") || !strings.Contains(got.body, "60.00 THB") {
		t.Errorf("the edited link on B: %d", got.status)
	}
	// A payment of it, refunded in half on B, shows refunded on A.
	slug := regexp.MustCompile(`id="share-url" readonly value="[^"]*/l/([^"]+)"`).FindStringSubmatch(b.get(linkPath).body)[1]
	card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: time.Now().Year() + 2}
	c, _, err := svc.PayLink(ctx, service.PayParams{Slug: slug, Card: card, Email: "payer@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cid := "/dashboard/payments/" + paylinks.FormatBase36(c.ID)
	wantRedirect(t, b.post(cid+"/refund", url.Values{"csrf": {tokenB}, "amount": {"30.00"}}), http.StatusSeeOther, cid+"?refunded=1")
	if got := onA.get(cid); !strings.Contains(got.body, "refund.create") || !strings.Contains(got.body, "30.00 THB") {
		t.Errorf("the refund on A: %d\n%s", got.status, got.body)
	}
	if got := onA.get("/dashboard"); !strings.Contains(got.body, "60.00 THB") {
		t.Errorf("home on A lacks the payment made through B's link")
	}

	// Sign out on A: the session is gone on B too.
	wantRedirect(t, onA.submit("/dashboard/links", "/dashboard/signout", url.Values{}), http.StatusSeeOther, "/dashboard/signin")
	wantRedirect(t, b.get("/dashboard/links"), http.StatusSeeOther, "/dashboard/signin")

	// The sign-in limit is one for both: guesses alternate between them
	// (the sign-in on B took the first of the email's 5 attempts).
	for i := range 4 {
		c := newBrowser(t, urls[i%2])
		if got := c.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"o@example.com"}, "password": {"wrong guess " + time.Duration(i).String()}}).status; got != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, got)
		}
	}
	for i := range 2 {
		c := newBrowser(t, urls[i])
		if got := c.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"o@example.com"}, "password": {password}}).status; got != http.StatusTooManyRequests {
			t.Errorf("sign in on replica %d after 4 guesses across both: %d, want 429", i, got)
		}
	}
}
