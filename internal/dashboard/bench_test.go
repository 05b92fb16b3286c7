package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// BenchmarkLinksPage measures the server time of the dashboard's links
// page (session check, keyset page of 25, render) on PostgreSQL with 10,000
// and 1,000,000 links (PAYLINKS_BENCH_DASHBOARD_LINKS sets the larger):
// the first page and one halfway down the list. Cursor paging and no
// counts keep it flat as the table grows.
func BenchmarkLinksPage(b *testing.B) {
	big := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PAYLINKS_BENCH_DASHBOARD_LINKS")); err == nil && v > 0 {
		big = v
	}
	for _, n := range []int{10_000, big} {
		b.Run(fmt.Sprintf("links=%d", n), func(b *testing.B) { benchLinksPage(b, n) })
	}
}

func benchLinksPage(b *testing.B, n int) {
	ctx := context.Background()
	db := postgres.OpenTest(b)
	svc := service.New(db, service.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a, err := svc.EnsureAccount(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := db.Pool().Exec(ctx, `INSERT INTO links
		(id, account_id, livemode, slug, title, amount, currency, multiple, used, active, created_at, updated_at)
		SELECT gen_random_uuid(), $1, false, 'seed-' || i, 'Tea ' || i, (i % 1000 + 1) * 100, 'THB', i % 2 = 0, false, true,
			$2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second'
		FROM generate_series(0, $3 - 1) AS i`, a.ID, t0, n); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `VACUUM ANALYZE links`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d links inserted in %v", n, time.Since(start))
	var mid paylinks.ID
	if err := db.Pool().QueryRow(ctx, `SELECT id FROM links ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`, n/2).Scan(&mid); err != nil {
		b.Fatal(err)
	}
	_, setup, err := svc.CreateUser(ctx, service.UserParams{Account: "acme", Email: "bench@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SetPassword(ctx, setup, password); err != nil {
		b.Fatal(err)
	}
	_, _, token, err := svc.SignIn(ctx, "bench@example.com", password)
	if err != nil {
		b.Fatal(err)
	}
	h := server.New(server.Config{Service: svc, PublicURL: "https://pay.example.com", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, page := range []struct{ name, path string }{
		{"first", "/dashboard/links"},
		{"middle", "/dashboard/links?after=" + paylinks.FormatBase36(mid)},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest("GET", page.path, nil)
				r.AddCookie(&http.Cookie{Name: "pl_dash", Value: token})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", page.path, w.Code)
				}
			}
		})
	}
}
