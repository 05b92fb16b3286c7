package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// TestQueryPlans runs every shape of read, then checks that SQLite plans
// each query the store prepared as an index search: no table scan, no
// sorting in a temporary b-tree.
func TestQueryPlans(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	l := &paylinks.Link{ID: paylinks.ID{2}, AccountID: a.ID, Slug: "s", Currency: "THB", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateLink(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	from, to := time.Unix(1, 0), time.Unix(2, 0)
	for _, order := range []paylinks.Order{paylinks.Chronological, paylinks.ReverseChronological} {
		for _, window := range [][2]time.Time{{}, {from, time.Time{}}, {time.Time{}, to}, {from, to}} {
			for _, after := range []*paylinks.ID{nil, &l.ID} {
				if _, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Order: order,
					From: window[0], To: window[1], After: after, Limit: 10}); err != nil {
					t.Fatal(err)
				}
			}
			for _, link := range []*paylinks.ID{nil, &l.ID} {
				if _, _, err := db.ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, Order: order,
					From: window[0], To: window[1], LinkID: link, Limit: 10}); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := db.ListEvents(ctx, store.EventFilter{AccountID: a.ID, Order: order,
				From: window[0], To: window[1], Limit: 10}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range []paylinks.ID{l.ID, {9}} {
		db.GetLink(ctx, a.ID, false, id)
		db.GetCharge(ctx, a.ID, false, id)
		db.GetToken(ctx, a.ID, false, id)
		db.GetEvent(ctx, a.ID, false, id)
	}
	db.LinkBySlug(ctx, "s")
	db.KeyByHash(ctx, []byte{1})
	db.AccountByName(ctx, "a")

	db.rstmts.mu.Lock()
	queries := make([]string, 0, len(db.rstmts.m))
	for q := range db.rstmts.m {
		queries = append(queries, q)
	}
	db.rstmts.mu.Unlock()
	if len(queries) < 20 {
		t.Fatalf("prepared reads: got %d, want at least 20", len(queries))
	}
	for _, q := range queries {
		if strings.Contains(q, "count(*) FROM accounts") {
			continue // CountAccounts: one row per merchant
		}
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = 1
		}
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "SCAN ") || strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "USING") {
			t.Errorf("query %s\nplan: %s\nwant an index search and no sorting", q, p)
		}
	}
}
