package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// BenchmarkSearchLinks searches a large table of links (1,000,000 by
// default; PAYLINKS_BENCH_SEARCH_LINKS sets another size: 1 in 100 used,
// every other one multi-use) by each filter: a page of 30 and the number
// of matches.
func BenchmarkSearchLinks(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PAYLINKS_BENCH_SEARCH_LINKS")); err == nil && v > 0 {
		n = v
	}
	db := postgres.OpenTest(b)
	a := seedSearchLinks(b, db, n)
	ctx := context.Background()
	yes, no := true, false
	for _, bb := range []struct {
		name string
		s    store.Search
		want int
	}{
		{"used=true", store.Search{Used: &yes}, n / 100},
		{"used=true/newest", store.Search{Used: &yes, Order: paylinks.ReverseChronological}, n / 100},
		{"used=false/page=100", store.Search{Used: &no, Offset: 99 * 30}, n - n/100},
		{"multiple=true", store.Search{Multiple: &yes}, n / 2},
		{"amount=500.00", store.Search{Amount: []store.AmountBand{{Currencies: []string{"THB"}, Lo: 50000, Hi: 50000}}}, n / 1000},
		// As the service reads filters[amount]=500: a band per currency exponent.
		{"amount=500/bands", store.Search{Amount: []store.AmountBand{{Currencies: []string{"JPY"}, Lo: 500, Hi: 500},
			{Currencies: []string{"THB", "USD"}, Lo: 50000, Hi: 50000}, {Currencies: []string{"KWD"}, Lo: 500000, Hi: 500000}}}, n / 1000},
		{"amount=1..3", store.Search{Amount: []store.AmountBand{{Currencies: []string{"THB"}, Lo: 100, Hi: 300}}}, 3 * n / 1000},
	} {
		b.Run(fmt.Sprintf("links=%d/%s", n, bb.name), func(b *testing.B) {
			bb.s.AccountID, bb.s.Limit = a.ID, 30
			for b.Loop() {
				links, total, err := db.SearchLinks(ctx, bb.s)
				if err != nil || total != bb.want || len(links) == 0 {
					b.Fatalf("SearchLinks: %d of %d, %v; want %d", len(links), total, err, bb.want)
				}
			}
		})
	}
}

// seedSearchLinks inserts n links of a new account: 1 in 100 used, every
// other one multi-use, amounts 1.00 to 1000.00 THB, one a second; and
// analyzes the table, as autovacuum would.
func seedSearchLinks(tb testing.TB, db *postgres.DB, n int) *paylinks.Account {
	tb.Helper()
	a := mustAccount(tb, db)
	ctx := context.Background()
	start := time.Now()
	_, err := db.Pool().Exec(ctx, `INSERT INTO links
		(id, account_id, livemode, slug, title, amount, currency, multiple, used, active, created_at, updated_at)
		SELECT gen_random_uuid(), $1, false, 'seed-' || i, 'Tea ' || i, (i % 1000 + 1) * 100, 'THB', i % 2 = 0, i % 100 = 0, true,
			$2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second'
		FROM generate_series(0, $3 - 1) AS i`, a.ID, t0, n)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `VACUUM ANALYZE links`); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%d links inserted in %v", n, time.Since(start))
	return a
}

// TestSearchPlans: on a table of links large enough for PostgreSQL to
// weigh its plans, each filter's page and count read the filter's index,
// and neither scans the table.
func TestSearchPlans(t *testing.T) {
	db := postgres.OpenTest(t)
	a := seedSearchLinks(t, db, 100_000)
	yes := true
	thb500 := []store.AmountBand{{Currencies: []string{"THB"}, Lo: 50000, Hi: 50000}}
	for _, tt := range []struct {
		name  string
		s     store.Search
		index string
		// most: the filter selects most of the links (half here), whose
		// count PostgreSQL reads from the table, as fast as from any index:
		// only the page is checked. (SQLite keeps such totals in
		// link_counts; PostgreSQL has no such row, which every create of
		// the account would have to lock.)
		most bool
	}{
		{"used", store.Search{Used: &yes}, "links_search_used_idx", false},
		{"used, newest", store.Search{Used: &yes, Order: paylinks.ReverseChronological}, "links_search_used_idx", false},
		{"multiple", store.Search{Multiple: &yes}, "links_search_multiple_idx", true},
		{"amount", store.Search{Amount: thb500}, "links_search_amount_idx", false},
		{"amount, newest, from", store.Search{Amount: thb500, Order: paylinks.ReverseChronological, From: t0.Add(time.Hour)}, "links_search_amount_idx", false},
		{"amount bands", store.Search{Amount: []store.AmountBand{{Currencies: []string{"JPY"}, Lo: 500, Hi: 500},
			{Currencies: []string{"THB", "USD"}, Lo: 50000, Hi: 50000}}}, "links_search_amount_idx", false},
	} {
		tt.s.AccountID, tt.s.Limit = a.ID, 30
		page, count, err := db.ExplainSearchLinks(t.Context(), tt.s)
		if err != nil {
			t.Fatal(err)
		}
		plans := []string{page, count}
		if tt.most {
			plans = plans[:1]
		}
		for _, p := range plans {
			t.Logf("%s:\n%s", tt.name, p)
			if strings.Contains(p, "Seq Scan") || !strings.Contains(p, tt.index) {
				t.Errorf("%s: plan\n%s\nwant a read of %s, no table scan", tt.name, p, tt.index)
			}
		}
	}
}
