package dashboard_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// TestReplicasTOTP: two servers on one PostgreSQL database, on the real
// clock. The password step on one replica and the code on the other sign
// in (the ticket's key and the sealed secret are shared through the
// database), and a code used on one replica is refused on the other.
func TestReplicasTOTP(t *testing.T) {
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
	u, token, err := svc.CreateUser(ctx, service.UserParams{Account: "acme", Email: "r2@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPassword(ctx, token, password); err != nil {
		t.Fatal(err)
	}
	e, err := svc.BeginTOTP(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	// Confirm with the previous step's code, so that the current step's
	// is unused.
	prev, _ := totp.GenerateCode(e.Secret, time.Now().Add(-30*time.Second))
	if _, err := svc.ConfirmTOTP(ctx, u, prev); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	signIn := func(pwOn, codeOn int, code string) page {
		b := newBrowser(t, urls[pwOn])
		p := b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"r2@example.com"}, "password": {password}})
		m := ticketRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("password step on replica %d: %d, no ticket", pwOn, p.status)
		}
		b.base = urls[codeOn]
		return b.submit("/dashboard/signin", "/dashboard/signin/code", url.Values{"ticket": {m[1]}, "code": {code}})
	}
	now, _ := totp.GenerateCode(e.Secret, time.Now())
	if p := signIn(0, 1, now); p.status != http.StatusSeeOther {
		t.Fatalf("password on A, code on B: %d, want 303\n%s", p.status, p.body)
	}
	if p := signIn(1, 0, now); p.status != http.StatusUnauthorized {
		t.Errorf("the same code again, on A: %d, want 401", p.status)
	}
}
