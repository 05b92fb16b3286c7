package dashboard_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// BenchmarkDashboardPages measures the server time of the dashboard's
// pages (session check, query, render) on SQLite and PostgreSQL with
// PAYLINKS_BENCH_DASHBOARD_ROWS links and as many charges (default
// 1,000,000; the charges fill the last ~12 days): the links list's first
// page, a page halfway down, a rare state (inactive, 1 link in 1,000), a
// title search, the payments list's first and halfway pages, and home.
// Keyset pages, partial indexes, the trigram index of titles and the daily
// sums keep each flat as the tables grow. Searches: "recent" matches 1 in
// 1,000 links spread through the list, "old" ("Tea 1") matches a tenth of
// the links but none of the newest ~800,000, "rare" one link.
func BenchmarkDashboardPages(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PAYLINKS_BENCH_DASHBOARD_ROWS")); err == nil && v > 0 {
		n = v
	}
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "bench.db")
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		benchPages(b, st, n, func(a paylinks.ID, t0 time.Time) {
			raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(60000)")
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			seq := `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?) `
			us := t0.UnixMicro()
			for _, q := range []string{
				seq + `INSERT INTO links (id, account_id, livemode, slug, title, amount, currency, multiple, used, active, created_at, updated_at)
					SELECT randomblob(16), ?, 0, 'seed-' || i, 'Tea ' || i, (i % 1000 + 1) * 100, 'THB', i % 2 = 0, 0, i % 1000 <> 7,
					? + i * 1000000, ? + i * 1000000 FROM seq`,
				seq + `INSERT INTO charges (id, account_id, livemode, amount, currency, status, capture, card_id, card_brand, card_last4, email,
					authorized_amount, captured_amount, created_at, paid_at)
					SELECT randomblob(16), ?, 0, 2000, 'THB', 'successful', 1, randomblob(16), 'Visa', '4242', 'p' || i || '@example.com',
					2000, 2000, ? + i * 1000000, ? + i * 1000000 FROM seq`,
				`ANALYZE`,
			} {
				args := []any{n, a[:], us, us}
				if q == `ANALYZE` {
					args = nil
				}
				if _, err := raw.Exec(q, args...); err != nil {
					b.Fatal(err)
				}
			}
		}, func(q string, args ...any) paylinks.ID {
			raw, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			var id paylinks.ID
			if err := raw.QueryRow(q, args...).Scan(&id); err != nil {
				b.Fatal(err)
			}
			return id
		})
	})
	b.Run("postgres", func(b *testing.B) {
		db := postgres.OpenTest(b)
		ctx := context.Background()
		benchPages(b, db, n, func(a paylinks.ID, t0 time.Time) {
			for _, q := range []string{
				`INSERT INTO links (id, account_id, livemode, slug, title, amount, currency, multiple, used, active, created_at, updated_at)
					SELECT gen_random_uuid(), $1, false, 'seed-' || i, 'Tea ' || i, (i % 1000 + 1) * 100, 'THB', i % 2 = 0, false, i % 1000 <> 7,
					$2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second' FROM generate_series(0, $3 - 1) AS i`,
				`INSERT INTO charges (id, account_id, livemode, amount, currency, status, capture, card_id, card_brand, card_last4, email,
					authorized_amount, captured_amount, created_at, paid_at)
					SELECT gen_random_uuid(), $1, false, 2000, 'THB', 'successful', true, gen_random_uuid(), 'Visa', '4242', 'p' || i || '@example.com',
					2000, 2000, $2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second' FROM generate_series(0, $3 - 1) AS i`,
			} {
				if _, err := db.Pool().Exec(ctx, q, a, t0, n); err != nil {
					b.Fatal(err)
				}
			}
			for _, t := range []string{"links", "charges", "charge_days"} {
				if _, err := db.Pool().Exec(ctx, `VACUUM ANALYZE `+t); err != nil {
					b.Fatal(err)
				}
			}
		}, func(q string, args ...any) paylinks.ID {
			q = postgresPlaceholders(q)
			var id paylinks.ID
			if err := db.Pool().QueryRow(ctx, q, args...).Scan(&id); err != nil {
				b.Fatal(err)
			}
			return id
		})
	})
}

// postgresPlaceholders numbers the ? of a query as $1, $2…
func postgresPlaceholders(q string) string {
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

func benchPages(b *testing.B, st store.Store, n int, seed func(account paylinks.ID, t0 time.Time), idAt func(q string, args ...any) paylinks.ID) {
	ctx := context.Background()
	svc := service.New(st, service.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a, err := svc.EnsureAccount(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	seed(a.ID, time.Now().Add(-time.Duration(n)*time.Second))
	b.Logf("%d links and %d charges inserted in %v", n, n, time.Since(start).Round(time.Millisecond))
	midLink := idAt(`SELECT id FROM links ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`, n/2)
	midCharge := idAt(`SELECT id FROM charges ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`, n/2)
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
	for _, page := range []struct{ name, path, want string }{
		{"links-first", "/dashboard/links", "Tea "},
		{"links-middle", "/dashboard/links?after=" + paylinks.FormatBase36(midLink), "Tea "},
		{"links-inactive", "/dashboard/links?status=inactive", "Tea "},
		{"links-search-recent", "/dashboard/links?q=Tea+" + strconv.Itoa((n-1)/1000), "Tea " + strconv.Itoa((n-1)/1000)},
		{"links-search-old", "/dashboard/links?q=Tea+1", "Tea 1"},
		{"links-search-rare", "/dashboard/links?q=Tea+" + strconv.Itoa(n/3), "Tea " + strconv.Itoa(n/3)},
		{"payments-first", "/dashboard/payments", "4242"},
		{"payments-middle", "/dashboard/payments?after=" + paylinks.FormatBase36(midCharge), "4242"},
		{"home", "/dashboard", "payments"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest("GET", page.path, nil)
				r.AddCookie(&http.Cookie{Name: "pl_dash", Value: token})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), page.want) {
					b.Fatalf("GET %s: %d\n%s", page.path, w.Code, w.Body.String())
				}
			}
		})
	}
}
