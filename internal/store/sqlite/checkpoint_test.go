package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// BenchmarkListLinksOffset is the Omise list at deep offsets: a page of 20
// at offset 0, in the middle, at the end, and at random offsets below
// 10000 (as paylinks-bench's list scenario), in both orders, from
// checkpoints; and reading all the checkpoints of the list.
func BenchmarkListLinksOffset(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("links=%d", n), func(b *testing.B) {
			db, a := benchDB(b)
			fillLinks(b, db, a, n)
			ctx := context.Background()
			list := listID{accountID: a.ID}
			b.Run("read-checkpoints", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.readCheckpoints(ctx, list, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			if err := db.checkpoints.refresh(ctx, db, list); err != nil {
				b.Fatal(err)
			}
			for _, order := range []paylinks.Order{paylinks.Chronological, paylinks.ReverseChronological} {
				for _, offset := range []int{0, 5000, 9999, -1} {
					name := fmt.Sprintf("order=%s/offset=%d", orderName(order), offset)
					if offset < 0 {
						name = fmt.Sprintf("order=%s/offset=random", orderName(order))
					}
					b.Run(name, func(b *testing.B) {
						defer measureCPU(b)()
						r := rand.New(rand.NewPCG(1, 2))
						f := paylinks.LinkFilter{AccountID: a.ID, Limit: 20, Order: order, Offset: offset}
						for b.Loop() {
							if offset < 0 {
								f.Offset = r.IntN(10_000)
							}
							links, total, err := db.ListLinks(ctx, f)
							if err != nil || total != n || len(links) != min(20, n-f.Offset) {
								b.Fatalf("ListLinks(offset %d): got %d links of %d, %v", f.Offset, len(links), total, err)
							}
						}
					})
				}
			}
		})
	}
}

// measureCPU reports the process's CPU time per operation from now until
// the returned func runs (see cpuTime).
func measureCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			reportCPU(b, start)
		}
	}
}

func orderName(o paylinks.Order) string {
	if o == paylinks.ReverseChronological {
		return "desc"
	}
	return "asc"
}

// linkAt creates a link of a in test mode created at ms milliseconds after
// the bench epoch (ties are allowed: ids order them) through db.
func linkAt(t *testing.T, db *DB, a *paylinks.Account, ms int64) *paylinks.Link {
	t.Helper()
	l, ev := benchLink(t, a, ms)
	if err := db.CreateLink(context.Background(), l, ev, nil); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	return l
}

// hardDelete removes a link row, as no store method does: the triggers
// must still see it.
func hardDelete(t *testing.T, db *DB, id paylinks.ID) {
	t.Helper()
	err := db.exec(context.Background(), func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM links WHERE id = ?`, idArg(id))
		return err
	})
	if err != nil {
		t.Fatalf("DELETE: %v", err)
	}
}

// checkOffsets compares every page of 20 (and some of 1 and unlimited) of
// the account's test-mode links, in both orders, at every offset from 0 to
// past the end, with the slice of the whole list (read at offset 0, which
// is the plain query) that the OFFSET names.
func checkOffsets(t *testing.T, db *DB, a paylinks.ID, what string) {
	t.Helper()
	ctx := context.Background()
	all, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a})
	if err != nil || total != len(all) {
		t.Fatalf("%s: ListLinks: %d links, total %d, %v", what, len(all), total, err)
	}
	n := len(all)
	for _, order := range []paylinks.Order{paylinks.Chronological, paylinks.ReverseChronological} {
		whole := slices.Clone(all)
		if order == paylinks.ReverseChronological {
			slices.Reverse(whole)
		}
		for offset := range n + 3 {
			limits := []int{20}
			if offset%checkpointStep <= 1 || offset%checkpointStep == checkpointStep-1 || offset >= n-2 {
				limits = append(limits, 1, 0)
			}
			for _, limit := range limits {
				got, gotTotal, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a, Order: order, Offset: offset, Limit: limit})
				if err != nil {
					t.Fatalf("%s: ListLinks: %v", what, err)
				}
				end := n
				if limit > 0 {
					end = min(offset+limit, n)
				}
				want := whole[min(offset, n):end]
				if gotTotal != n || !slices.Equal(linkIDs(got), linkIDs(want)) {
					t.Fatalf("%s: %s offset %d limit %d: got %d links of %d %v, want %d of %d %v", what, orderName(order),
						offset, limit, len(got), gotTotal, linkIDs(got), len(want), n, linkIDs(want))
				}
			}
		}
	}
}

func linkIDs(links []paylinks.Link) []paylinks.ID {
	ids := make([]paylinks.ID, len(links))
	for i, l := range links {
		ids[i] = l.ID
	}
	return ids
}

// holdRefreshes stops db from refreshing checkpoints on its own, so that a
// test decides when they are read.
func holdRefreshes(db *DB) {
	db.checkpoints.mu.Lock()
	db.checkpoints.next = time.Now().Add(time.Hour)
	db.checkpoints.mu.Unlock()
}

// refreshCheckpoints reads the checkpoints of a's test-mode links now and
// checks them against the whole list.
func refreshCheckpoints(t *testing.T, db *DB, a paylinks.ID) *checkpoints {
	t.Helper()
	ctx := context.Background()
	list := listID{accountID: a}
	if err := db.checkpoints.refresh(ctx, db, list); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	db.checkpoints.mu.Lock()
	cp := db.checkpoints.lists[list]
	db.checkpoints.mu.Unlock()
	all, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a})
	if err != nil {
		t.Fatal(err)
	}
	if cp.n != int64(len(all)) || len(cp.keys) != max(0, (len(all)-1)/checkpointStep) {
		t.Fatalf("checkpoints: n %d, %d keys; want n %d, %d keys", cp.n, len(cp.keys), len(all), (len(all)-1)/checkpointStep)
	}
	for i, k := range cp.keys {
		if l := all[(i+1)*checkpointStep]; k != (listKey{micro(l.CreatedAt), l.ID}) {
			t.Fatalf("checkpoint %d: got %v, want link %v", i, k, l.ID)
		}
	}
	return cp
}

// TestListLinksCheckpoints checks pages at every offset, read from
// checkpoints, against the plain list, while another DB on the same file
// (another process) changes the list: the checkpoints must be trusted only
// while link_counts.v says no entry moved.
func TestListLinksCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paylinks.db")
	open := func() *DB {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db, other := open(), open()
	holdRefreshes(db)
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	b := &paylinks.Account{ID: paylinks.ID{2}, Name: "b", CreatedAt: time.Now()}
	for _, acc := range []*paylinks.Account{a, b} {
		if err := db.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	// 5 checkpoints and some, ties on created_at, another account's links
	// and live links among them, and deleted links.
	var links []*paylinks.Link
	for i := range 5*checkpointStep + 37 {
		links = append(links, linkAt(t, db, a, int64(10*(i/3))))
		if i%50 == 0 {
			linkAt(t, db, b, int64(10*(i/3)))
			l, ev := benchLink(t, a, int64(10*(i/3)))
			l.Livemode, ev.Livemode = true, true
			if err := db.CreateLink(ctx, l, ev, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, i := range []int{3, 100, 200} {
		if _, err := db.DeleteLink(ctx, a.ID, false, links[i].ID, time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	checkOffsets(t, db, a.ID, "no checkpoints")
	cp := refreshCheckpoints(t, db, a.ID)
	checkOffsets(t, db, a.ID, "checkpoints")

	// The pages do come from the checkpoints: with each one moved to the
	// next, a page at the first checkpoint starts a step later.
	list := listID{accountID: a.ID}
	db.checkpoints.mu.Lock()
	db.checkpoints.lists[list] = &checkpoints{n: cp.n, v: cp.v, keys: cp.keys[1:]}
	db.checkpoints.mu.Unlock()
	all, _, _ := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID})
	got, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Offset: checkpointStep, Limit: 1})
	if err != nil || len(got) != 1 || got[0].ID != all[2*checkpointStep].ID {
		t.Fatalf("page from moved checkpoints: got %v, %v; want link %v (not read from checkpoints?)",
			linkIDs(got), err, all[2*checkpointStep].ID)
	}
	db.checkpoints.mu.Lock()
	db.checkpoints.lists[list] = cp
	db.checkpoints.mu.Unlock()

	// Each change by the other process, on checkpoints read just before.
	changes := []struct {
		name   string
		change func()
	}{
		{"soft delete of the first link", func() {
			if _, err := other.DeleteLink(ctx, a.ID, false, links[0].ID, time.Now(), nil); err != nil {
				t.Fatal(err)
			}
		}},
		// n grows by one, as by an append: only v tells.
		{"insert before the last link", func() { linkAt(t, other, a, 25) }},
		{"hard delete", func() { hardDelete(t, other, links[70].ID) }},
		{"hard delete and an insert before the last link", func() {
			hardDelete(t, other, links[71].ID)
			linkAt(t, other, a, 1)
		}},
		{"soft delete and an append", func() {
			if _, err := other.DeleteLink(ctx, a.ID, false, links[300].ID, time.Now(), nil); err != nil {
				t.Fatal(err)
			}
			linkAt(t, other, a, 1e6)
		}},
		{"changes of other lists", func() {
			linkAt(t, other, b, 2)
			l, ev := benchLink(t, a, 3)
			l.Livemode, ev.Livemode = true, true
			if err := other.CreateLink(ctx, l, ev, nil); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range changes {
		before := refreshCheckpoints(t, db, a.ID)
		c.change()
		checkOffsets(t, db, a.ID, c.name)
		if after := refreshCheckpoints(t, db, a.ID); (after.v == before.v) != (c.name == "changes of other lists") {
			t.Errorf("%s: v %d before, %d after", c.name, before.v, after.v)
		}
	}

	// Appends move no entry: the checkpoints hold, for the positions they
	// have, and a refresh extends them.
	before := refreshCheckpoints(t, db, a.ID)
	for i := range 2*checkpointStep + 5 {
		linkAt(t, other, a, int64(2e6+i)) // ties would be inserts before the last, half the time
	}
	checkOffsets(t, db, a.ID, "appends")
	after := refreshCheckpoints(t, db, a.ID)
	if after.v != before.v || !slices.Equal(after.keys[:len(before.keys)], before.keys) {
		t.Errorf("after appends: v %d, was %d; keys %d, were %d (want the same v and keys extended)",
			after.v, before.v, len(after.keys), len(before.keys))
	}
	checkOffsets(t, db, a.ID, "appends, checkpoints extended")
}

// TestListLinksCheckpointsRefresh checks that deep pages start a refresh
// in the background that makes checkpoints, that a change makes new ones,
// and that Close waits for a running refresh.
func TestListLinksCheckpointsRefresh(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	for i := range 3 * checkpointStep {
		linkAt(t, db, a, int64(i))
	}
	list := listID{accountID: a.ID}
	wait := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			if _, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Offset: checkpointStep, Limit: 1}); err != nil {
				t.Fatal(err)
			}
			db.checkpoints.mu.Lock()
			cp := db.checkpoints.lists[list]
			db.checkpoints.mu.Unlock()
			if cp != nil && cp.n == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoints at n = %d after 10 s", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	wait(3 * checkpointStep)
	linkAt(t, db, a, 1) // not an append
	wait(3*checkpointStep + 1)
	checkOffsets(t, db, a.ID, "refreshed in the background")
}

// TestLinkCountsVersion checks the triggers of link_counts (migration
// 00006): v moves with every change that moves an entry of the list, and
// not with an append.
func TestLinkCountsVersion(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	var last *paylinks.Link
	want := func(what string, n, v int64) {
		t.Helper()
		var gotN, gotV, maxCreated int64
		var maxID paylinks.ID
		err := db.queryRow(ctx, `SELECT n, v, max_created_at, max_id FROM link_counts WHERE account_id = ? AND livemode = 0`,
			idArg(a.ID)).Scan(&gotN, &gotV, &maxCreated, &maxID)
		if err != nil || gotN != n || gotV != v || maxCreated != micro(last.CreatedAt) || maxID != last.ID {
			t.Errorf("%s: got n %d v %d max (%d, %v), %v; want n %d v %d max (%d, %v)", what, gotN, gotV, maxCreated, maxID, err,
				n, v, micro(last.CreatedAt), last.ID)
		}
	}
	first := linkAt(t, db, a, 100)
	last = first
	want("first link", 1, 0)
	last = linkAt(t, db, a, 200)
	want("append", 2, 0)
	linkAt(t, db, a, 150)
	want("insert before the last", 3, 1)
	tie, ev := benchLink(t, a, 200) // the same created_at, an id before or after
	if err := db.CreateLink(ctx, tie, ev, nil); err != nil {
		t.Fatal(err)
	}
	if tie.ID.String() > last.ID.String() {
		last = tie
		want("tie after the last", 4, 1)
	} else {
		want("tie before the last", 4, 2)
	}
	_, v := 0, int64(0)
	db.queryRow(ctx, `SELECT v FROM link_counts WHERE account_id = ?`, idArg(a.ID)).Scan(&v)
	if _, err := db.DeleteLink(ctx, a.ID, false, first.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	want("soft delete", 3, v+1)
	hardDelete(t, db, first.ID) // already deleted: not in the list
	want("hard delete of a deleted link", 3, v+1)
	hardDelete(t, db, last.ID)
	want("hard delete (the max stays)", 2, v+2)
	l, ev := benchLink(t, a, 190) // before the max ever, after every link left
	if err := db.CreateLink(ctx, l, ev, nil); err != nil {
		t.Fatal(err)
	}
	want("insert before the max ever", 3, v+3)
}

// TestMigrationLinkCountsVersion applies migration 00006 on a database
// that has links already and checks that checkpoints read on it give the
// plain pages, and that it goes down again.
func TestMigrationLinkCountsVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paylinks.db")
	wdb, err := openWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	p := migrationProvider(t, wdb)
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	if _, err := wdb.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, 0)`, idArg(a.ID), a.Name); err != nil {
		t.Fatal(err)
	}
	var maxKey listKey
	for i := range 2*checkpointStep + 10 {
		l, _ := benchLink(t, a, int64(i/2))
		var deleted any
		if i%7 == 0 {
			deleted = int64(1)
		} else if k := (listKey{micro(l.CreatedAt), l.ID}); k.createdAt > maxKey.createdAt ||
			k.createdAt == maxKey.createdAt && bytes.Compare(k.id[:], maxKey.id[:]) > 0 {
			maxKey = k
		}
		_, err := wdb.ExecContext(ctx, `INSERT INTO links (id, account_id, livemode, slug, title, amount, currency,
			multiple, active, created_at, updated_at, deleted_at) VALUES (?, ?, 0, ?, 'T', 1, 'THB', 0, 1, ?, ?, ?)`,
			idArg(l.ID), idArg(a.ID), l.Slug, micro(l.CreatedAt), micro(l.CreatedAt), deleted)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	var k listKey
	var v int64
	err = wdb.QueryRowContext(ctx, `SELECT v, max_created_at, max_id FROM link_counts WHERE account_id = ?`,
		idArg(a.ID)).Scan(&v, &k.createdAt, &k.id)
	if err != nil || v != 0 || k != maxKey {
		t.Fatalf("link_counts after the migration: v %d, max %v, %v; want v 0, max %v", v, k, err, maxKey)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	holdRefreshes(db)
	refreshCheckpoints(t, db, a.ID)
	checkOffsets(t, db, a.ID, "migrated")
	last := linkAt(t, db, a, 1e6)
	checkOffsets(t, db, a.ID, "migrated, appended")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := wdb.QueryRowContext(ctx, `SELECT n FROM link_counts WHERE account_id = ?`, idArg(a.ID)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := wdb.ExecContext(ctx, `DELETE FROM links WHERE id = ?`, idArg(last.ID)); err != nil {
		t.Fatal(err)
	}
	var n2 int
	if err := wdb.QueryRowContext(ctx, `SELECT n FROM link_counts WHERE account_id = ?`, idArg(a.ID)).Scan(&n2); err != nil || n2 != n-1 {
		t.Fatalf("after the down migration, a delete: n %d, %v; want %d", n2, err, n-1)
	}
}

// TestMigrationChargeCount: migration 00007 counts the charges links
// already have (of their own account and mode only), its trigger counts
// the ones that come after, and it goes down again.
func TestMigrationChargeCount(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paylinks.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "a", CreatedAt: time.Now()}
	b := &paylinks.Account{ID: paylinks.ID{2}, Name: "b", CreatedAt: time.Now()}
	for _, acc := range []*paylinks.Account{a, b} {
		if err := db.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	busy, _ := benchLink(t, a, 1)
	quiet, _ := benchLink(t, a, 2)
	for _, l := range []*paylinks.Link{busy, quiet} {
		if err := db.CreateLink(ctx, l, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	n := byte(10)
	charge := func(acc *paylinks.Account, livemode bool, l *paylinks.Link) {
		t.Helper()
		n++
		now := time.Now()
		c := &paylinks.Charge{ID: paylinks.ID{n}, AccountID: acc.ID, Livemode: livemode, LinkID: &l.ID, Amount: 100,
			Currency: "THB", Status: paylinks.ChargeSuccessful, Capture: true, CardID: paylinks.ID{n, 1},
			Card:      paylinks.Card{Brand: "Visa", LastDigits: "4242", ExpirationMonth: 12, ExpirationYear: 2030},
			CreatedAt: now, PaidAt: &now}
		if err := db.CreateCharge(ctx, store.ChargeWrite{Charge: c}); err != nil {
			t.Fatal(err)
		}
	}
	charge(a, false, busy)
	charge(a, false, busy)
	charge(b, false, busy) // another account's charge naming the link: not counted
	charge(a, true, busy)  // another mode's: not counted
	counts := func(what string, wantBusy, wantQuiet int) {
		t.Helper()
		for _, c := range []struct {
			l    *paylinks.Link
			want int
		}{{busy, wantBusy}, {quiet, wantQuiet}} {
			got, err := db.GetLink(ctx, a.ID, false, c.l.ID)
			if err != nil || got.ChargeCount != c.want {
				t.Errorf("%s: link %d has %v charges (%v), want %d", what, c.l.ID[15], got.ChargeCount, err, c.want)
			}
		}
	}
	counts("counted by the trigger", 2, 0)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	wdb, err := openWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	p := migrationProvider(t, wdb)
	if _, err := p.DownTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	var cols int
	if err := wdb.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('links') WHERE name = 'charge_count'`).Scan(&cols); err != nil || cols != 0 {
		t.Fatalf("after the down migration links has %d charge_count columns (%v)", cols, err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts("counted by the migration", 2, 0)
	charge(a, false, quiet)
	counts("the trigger after the migration", 2, 1)
}

// migrationProvider runs this package's migrations on the writer wdb, one
// version at a time.
func migrationProvider(t *testing.T, wdb *sql.DB) *goose.Provider {
	t.Helper()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, wdb, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
