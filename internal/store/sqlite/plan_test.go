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
	if err := db.CreateLink(ctx, l, nil, nil); err != nil {
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
			// A deep offset: the page from a checkpoint (checkpoint.go).
			if _, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Order: order,
				From: window[0], To: window[1], Offset: checkpointStep, Limit: 10}); err != nil {
				t.Fatal(err)
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
	if err := db.checkpoints.refresh(ctx, db, listID{accountID: a.ID}); err != nil {
		t.Fatal(err)
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
	seeks, checkpointReads := 0, 0
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
		// A SELECT of scalar subqueries alone (a list's total and
		// version) "scans" the one constant row; its subqueries are
		// checked as any query.
		p := strings.TrimPrefix(strings.Join(plan, "; "), "SCAN CONSTANT ROW; ")
		if strings.Contains(q, "WHERE rowid IN (SELECT rowid") {
			// A deferred join (an OFFSET skipped in the index) sorts the
			// rows of its page again, at most a limit of them.
			p = strings.TrimSuffix(p, "; USE TEMP B-TREE FOR ORDER BY")
		}
		if strings.Contains(p, "SCAN ") || strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "USING") {
			t.Errorf("query %s\nplan: %s\nwant an index search and no sorting", q, p)
		}
		// A seek from a checkpoint (or to the next) is a range of links_list.
		if strings.Contains(q, "FROM links") && strings.Contains(q, "(created_at, id) ") && strings.Contains(q, " (?, ?)") {
			seeks++
			if !strings.Contains(p, "INDEX links_list (account_id=? AND livemode=? AND (created_at,id)") {
				t.Errorf("query %s\nplan: %s\nwant a range of links_list on (created_at, id)", q, p)
			}
		}
		// Reading checkpoints steps through links_list alone.
		if strings.HasPrefix(q, "SELECT created_at, id FROM links") {
			checkpointReads++
			if !strings.Contains(p, "USING COVERING INDEX links_list") {
				t.Errorf("query %s\nplan: %s\nwant links_list alone", q, p)
			}
		}
	}
	if seeks != 3 || checkpointReads != 2 { // the next checkpoint, a page from one in either order; the first, the next
		t.Errorf("seek queries: got %d, want 3; checkpoint reads: got %d, want 2", seeks, checkpointReads)
	}
}
