package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
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
	a := mustAccount(b, db)
	ctx := context.Background()
	start := time.Now()
	_, err := db.Pool().Exec(ctx, `INSERT INTO links
		(id, account_id, livemode, slug, title, amount, currency, multiple, used, active, created_at, updated_at)
		SELECT gen_random_uuid(), $1, false, 'seed-' || i, 'Tea ' || i, (i % 1000 + 1) * 100, 'THB', i % 2 = 0, i % 100 = 0, true,
			$2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second'
		FROM generate_series(0, $3 - 1) AS i`, a.ID, t0, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `VACUUM ANALYZE links`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d links inserted in %v", n, time.Since(start))
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
