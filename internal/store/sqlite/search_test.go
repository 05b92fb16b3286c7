package sqlite

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
)

// bulkLinks inserts n links of account a in one statement: 1 in 100 used,
// every other one multi-use, amounts 1.00 to 1000.00 THB, one a second.
func bulkLinks(tb testing.TB, db *DB, a *paylinks.Account, n int) {
	tb.Helper()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	err := db.exec(context.Background(), func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x + 1 < ?)
			INSERT INTO links (`+linkCols+`)
			SELECT randomblob(16), ?, 0, 'bulk-' || x, 'Link ' || x, 'bulk', (x % 1000 + 1) * 100, 'THB',
				x % 2, 1, x % 100 = 0, NULL, '', '', ? + x * 1000000, ? + x * 1000000, NULL, 0, 0, 0 FROM seq`,
			n, idArg(a.ID), base, base)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// searchPlan is SQLite's plan of the page query of a search.
func searchPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// TestSearchPlans: each filter of a search is a search of its own index,
// in created_at order (no table scan, no sort of the matches), for the page
// and for its count.
func TestSearchPlans(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	bulkLinks(t, db, a, 2000)
	yes := true
	for _, tt := range []struct {
		s     store.Search
		index string
	}{
		{store.Search{Used: &yes}, "links_search_used"},
		{store.Search{Multiple: &yes}, "links_search_multiple"},
		{store.Search{Used: &yes, Order: paylinks.ReverseChronological}, "links_search_used"},
		{store.Search{Amount: []store.AmountBand{{Currencies: []string{"THB"}, Lo: 50000, Hi: 50000}}}, "links_search_amount"},
		{store.Search{Amount: []store.AmountBand{{Currencies: []string{"THB"}, Lo: 50000, Hi: 50000}},
			Order: paylinks.ReverseChronological, From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, "links_search_amount"},
		{store.Search{Amount: []store.AmountBand{{Currencies: []string{"JPY"}, Lo: 500, Hi: 500},
			{Currencies: []string{"THB", "USD"}, Lo: 50000, Hi: 50000}}}, "links_search_amount"},
	} {
		tt.s.AccountID, tt.s.Limit = a.ID, 30
		links, total, err := db.SearchLinks(ctx, tt.s)
		if err != nil || total == 0 || len(links) == 0 {
			t.Fatalf("SearchLinks(%+v) = %d of %d, %v", tt.s, len(links), total, err)
		}
	}
	if _, _, err := db.SearchCharges(ctx, store.Search{AccountID: a.ID, Refunded: &yes, Limit: 30}); err != nil {
		t.Fatal(err)
	}
	db.rstmts.mu.Lock()
	var queries []string
	for q := range db.rstmts.m {
		if strings.Contains(q, "used = 1") || strings.Contains(q, "multiple = 1") || strings.Contains(q, "amount = ?") ||
			strings.Contains(q, "refunded_amount > 0") {
			queries = append(queries, q)
		}
	}
	db.rstmts.mu.Unlock()
	if len(queries) < 6 {
		t.Fatalf("search queries prepared: %d", len(queries))
	}
	for _, q := range queries {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = 1
		}
		p := strings.TrimPrefix(searchPlan(t, db, q, args...), "SCAN CONSTANT ROW; ")
		want := "links_search_used"
		switch {
		case strings.Contains(q, "multiple = 1"):
			want = "links_search_multiple"
		case strings.Contains(q, "refunded_amount > 0"):
			want = "charges_search_refunded"
		case strings.Contains(q, "amount = ?"):
			want = "links_search_amount"
		}
		t.Logf("query %s\nplan: %s", q, p)
		// Every read, the page's and the count's, searches the filter's
		// index: another index of the account (links_list) would read
		// all its links.
		others := strings.Count(p, "USING INDEX ") + strings.Count(p, "USING COVERING INDEX ") -
			strings.Count(p, "INDEX "+want+" ")
		// Several amounts are several ranges, whose few matches are sorted.
		sorts := strings.Contains(p, "TEMP B-TREE") && !strings.Contains(q, "amount IN (")
		if strings.Contains(p, "SCAN ") || sorts || others != 0 || !strings.Contains(p, want) {
			t.Errorf("query %s\nplan: %s\nwant a search of %s, no sort", q, p, want)
		}
	}
}

// BenchmarkSearchLinks searches a large table of links (1,000,000 by
// default; PAYLINKS_BENCH_SEARCH_LINKS sets another size) by each filter:
// a page of 30 and the number of matches, from the search indexes.
func BenchmarkSearchLinks(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PAYLINKS_BENCH_SEARCH_LINKS")); err == nil && v > 0 {
		n = v
	}
	db, a := benchDB(b)
	start := time.Now()
	bulkLinks(b, db, a, n)
	b.Logf("%d links inserted in %v", n, time.Since(start))
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
		{"amount=500.00/created-day", store.Search{Amount: []store.AmountBand{{Currencies: []string{"THB"}, Lo: 50000, Hi: 50000}},
			From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 1, 23, 59, 59, 0, time.UTC)}, -1},
	} {
		b.Run(fmt.Sprintf("links=%d/%s", n, bb.name), func(b *testing.B) {
			bb.s.AccountID, bb.s.Limit = a.ID, 30
			for b.Loop() {
				links, total, err := db.SearchLinks(ctx, bb.s)
				if err != nil || (bb.want >= 0 && total != bb.want) || (total > 0 && len(links) == 0) {
					b.Fatalf("SearchLinks: %d of %d, %v; want %d", len(links), total, err, bb.want)
				}
			}
		})
	}
}

// TestSearchFlagTotals: the total of a search by used and multiple alone,
// read from link_counts, is the number of matching links after every kind
// of change: links created, updated to another multiple, used, deleted
// and removed.
func TestSearchFlagTotals(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	flags := []*bool{nil, &yes, &no}
	check := func(step string) {
		t.Helper()
		for _, used := range flags {
			for _, multiple := range flags {
				if used == nil && multiple == nil {
					continue
				}
				s := store.Search{AccountID: a.ID, Used: used, Multiple: multiple, Limit: 1}
				_, total, err := db.SearchLinks(ctx, s)
				where := `account_id = ? AND livemode = 0 AND deleted_at IS NULL`
				if used != nil {
					where += ` AND used = ` + sqlBool(*used)
				}
				if multiple != nil {
					where += ` AND multiple = ` + sqlBool(*multiple)
				}
				var want int
				if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM links WHERE `+where, idArg(a.ID)).Scan(&want); err != nil {
					t.Fatal(err)
				}
				if err != nil || total != want {
					t.Errorf("%s: SearchLinks(used %v, multiple %v): total %d, %v; want %d",
						step, fmtFlag(used), fmtFlag(multiple), total, err, want)
				}
			}
		}
	}
	check("no links")
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var links []*paylinks.Link
	for i := range 12 {
		l := &paylinks.Link{ID: paylinks.ID{2, byte(i)}, AccountID: a.ID, Slug: fmt.Sprint("s", i), Title: "t", Amount: 100,
			Currency: "THB", Multiple: i%2 == 0, Active: true, Used: i%3 == 0,
			CreatedAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now}
		if err := db.CreateLink(ctx, l, nil, nil); err != nil {
			t.Fatal(err)
		}
		links = append(links, l)
	}
	check("created")
	for _, i := range []int{0, 1, 3} {
		l := *links[i]
		l.Multiple, l.UpdatedAt = !l.Multiple, now.Add(time.Minute)
		if err := db.UpdateLink(ctx, &l, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	check("updated")
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE links SET used = 1 - used WHERE id IN (?, ?, ?)`,
			idArg(links[4].ID), idArg(links[6].ID), idArg(links[7].ID))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check("used")
	for _, i := range []int{0, 5, 8} {
		if _, err := db.DeleteLink(ctx, a.ID, false, links[i].ID, now.Add(time.Hour), nil); err != nil {
			t.Fatal(err)
		}
	}
	check("deleted")
	err = db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		// Used and deleted in one statement, then a row removed.
		if _, err := tx.ExecContext(ctx, `UPDATE links SET used = 1, deleted_at = 1 WHERE id = ?`, idArg(links[10].ID)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM links WHERE id = ?`, idArg(links[9].ID))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check("removed")
}

func fmtFlag(b *bool) string {
	if b == nil {
		return "any"
	}
	return strconv.FormatBool(*b)
}

// BenchmarkSearchCharges searches a large table of charges (1,000,000 by
// default; PAYLINKS_BENCH_SEARCH_CHARGES sets another size) by each
// filter: a page of 30 and the number of matches. 1 in 20 charges failed,
// 1 in 50 is pending, the others successful; 1 in 50 refunded; card last
// digits of 10,000 values; amounts 1.00 to 1000.00 THB; one a second.
func BenchmarkSearchCharges(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PAYLINKS_BENCH_SEARCH_CHARGES")); err == nil && v > 0 {
		n = v
	}
	db, a := benchDB(b)
	start := time.Now()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	err := db.exec(context.Background(), func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x + 1 < ?)
			INSERT INTO charges (id, account_id, livemode, amount, currency, description, status, capture, card_id,
				card_last4, refunded_amount, created_at)
			SELECT randomblob(16), ?, 0, (x % 1000 + 1) * 100, 'THB', 'charge ' || x,
				CASE WHEN x % 20 = 1 THEN 'failed' WHEN x % 50 = 2 THEN 'pending' ELSE 'successful' END, 1, randomblob(16),
				printf('%04d', x % 10000), CASE WHEN x % 50 = 3 THEN 100 ELSE 0 END, ? + x * 1000000 FROM seq`,
			n, idArg(a.ID), base)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d charges inserted in %v", n, time.Since(start))
	ctx := context.Background()
	yes, no := true, false
	thb500 := []store.AmountBand{{Currencies: []string{"THB"}, Lo: 50000, Hi: 50000}}
	for _, bb := range []struct {
		name string
		s    store.Search
	}{
		{"status=failed", store.Search{Status: []paylinks.ChargeStatus{paylinks.ChargeFailed}}},
		{"status=successful", store.Search{Status: []paylinks.ChargeStatus{paylinks.ChargeSuccessful}}},
		{"refunded=true", store.Search{Refunded: &yes}},
		{"refunded=false", store.Search{Refunded: &no}},
		{"card_last_digits", store.Search{CardLastDigits: "0042"}},
		{"amount=500.00", store.Search{Amount: thb500}},
		{"created-day", store.Search{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 1, 23, 59, 59, 0, time.UTC)}},
	} {
		b.Run(fmt.Sprintf("charges=%d/%s", n, bb.name), func(b *testing.B) {
			bb.s.AccountID, bb.s.Limit = a.ID, 30
			for b.Loop() {
				cs, total, err := db.SearchCharges(ctx, bb.s)
				if err != nil || total == 0 || len(cs) == 0 {
					b.Fatalf("SearchCharges: %d of %d, %v", len(cs), total, err)
				}
			}
		})
	}
}

// TestSearchChargeTotals: the total of a search of charges by status
// successful or by refunded alone, read from charge_counts, is the number
// of matching charges after charges are inserted, change status, are
// refunded and are removed.
func TestSearchChargeTotals(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	for _, tt := range []struct {
		step, sql string
	}{
		{"none", ``},
		{"inserted", `WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x + 1 < 40)
			INSERT INTO charges (id, account_id, livemode, amount, currency, status, capture, card_id, refunded_amount, created_at)
			SELECT randomblob(16), ?, x % 4 = 0, 100, 'THB', CASE WHEN x % 3 = 0 THEN 'failed' WHEN x % 5 = 0 THEN 'pending'
				ELSE 'successful' END, 1, randomblob(16), CASE WHEN x % 7 = 0 THEN 100 ELSE 0 END, x FROM seq`},
		{"captured", `UPDATE charges SET status = 'successful' WHERE status = 'pending' AND account_id = ?`},
		{"reversed", `UPDATE charges SET status = 'reversed' WHERE rowid % 4 = 1 AND status = 'successful' AND account_id = ?`},
		{"refunded", `UPDATE charges SET refunded_amount = refunded_amount + 50 WHERE rowid % 3 = 1 AND account_id = ?`},
		{"removed", `DELETE FROM charges WHERE rowid % 5 = 2 AND account_id = ?`},
	} {
		if tt.sql != "" {
			err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
				_, err := tx.ExecContext(ctx, tt.sql, idArg(a.ID))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, live := range []bool{false, true} {
			for _, c := range []struct {
				s     store.Search
				where string
			}{
				{store.Search{Status: []paylinks.ChargeStatus{paylinks.ChargeSuccessful}}, `status = 'successful'`},
				{store.Search{Refunded: &yes}, `refunded_amount > 0`},
				{store.Search{Refunded: &no}, `refunded_amount = 0`},
			} {
				c.s.AccountID, c.s.Livemode, c.s.Limit = a.ID, live, 1
				_, total, err := db.SearchCharges(ctx, c.s)
				var want int
				if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM charges WHERE account_id = ? AND livemode = ? AND `+c.where,
					idArg(a.ID), live).Scan(&want); err != nil {
					t.Fatal(err)
				}
				if err != nil || total != want {
					t.Errorf("%s: SearchCharges(%s, live %v): total %d, %v; want %d", tt.step, c.where, live, total, err, want)
				}
			}
		}
	}
}
