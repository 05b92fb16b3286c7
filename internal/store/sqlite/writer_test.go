package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

// hold makes the writer run a write that blocks until the returned release
// is called, so that the writes queued meanwhile form the next batch.
func hold(t *testing.T, db *DB) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- db.exec(context.Background(), func(context.Context, *writeTx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-errc; err != nil {
			t.Errorf("held write: %v", err)
		}
	}
}

// waitQueued waits until n writes wait in the writer's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(db.w.queue) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("queued writes: got %d, want %d", len(db.w.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func insertAccount(name string) writeFunc {
	return func(ctx context.Context, tx *writeTx) error {
		id := paylinks.ID{byte(len(name)), name[len(name)-1], name[0]}
		copy(id[3:], name)
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, 0)`, idArg(id), name)
		return wrap("insertAccount", err)
	}
}

func countAccounts(t *testing.T, db *DB) int {
	t.Helper()
	n, err := db.CountAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch of writes commits in one transaction; a write that fails rolls
// back alone and alone gets its error.
func TestGroupCommit(t *testing.T) {
	db := openTestDB(t)
	release := hold(t, db)
	commits := db.w.commits.Load()

	tests := []struct {
		name string
		fn   writeFunc
		want error
	}{
		{"a", insertAccount("a"), nil},
		{"dup", func(ctx context.Context, tx *writeTx) error {
			// Half done, then refused: the first insert must not stay.
			if err := insertAccount("half")(ctx, tx); err != nil {
				return err
			}
			return insertAccount("a")(ctx, tx)
		}, paylinks.ErrConflict},
		{"b", insertAccount("b"), nil},
		{"panics", func(context.Context, *writeTx) error { panic("boom") }, errors.New("any")},
		{"c", insertAccount("c"), nil},
	}
	errs := make([]error, len(tests))
	var wg sync.WaitGroup
	for i, tt := range tests {
		wg.Go(func() { errs[i] = db.exec(context.Background(), tt.fn) })
		waitQueued(t, db, i+1) // keep the order
	}
	release()
	wg.Wait()
	for i, tt := range tests {
		switch {
		case tt.want == nil && errs[i] != nil:
			t.Errorf("write %s: got %v, want nil", tt.name, errs[i])
		case tt.want != nil && errs[i] == nil:
			t.Errorf("write %s: got nil, want an error", tt.name)
		case errors.Is(tt.want, paylinks.ErrConflict) && !errors.Is(errs[i], paylinks.ErrConflict):
			t.Errorf("write %s: got %v, want ErrConflict", tt.name, errs[i])
		}
	}
	if got, want := db.w.commits.Load()-commits, int64(2); got != want { // the held write's, and the batch's
		t.Errorf("commits: got %d, want %d", got, want)
	}
	if got, want := countAccounts(t, db), 3; got != want {
		t.Errorf("accounts: got %d, want %d", got, want)
	}
	if _, err := db.AccountByName(context.Background(), "half"); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("the failed write's first insert: got %v, want ErrNotFound", err)
	}
}

// A write that fails alone in its batch is rolled back whole (no savepoint
// is taken for it) and gets its own error; the writer goes on.
func TestLoneWriteFailure(t *testing.T) {
	db := openTestDB(t)
	if err := db.exec(context.Background(), insertAccount("a")); err != nil {
		t.Fatal(err)
	}
	err := db.exec(context.Background(), func(ctx context.Context, tx *writeTx) error {
		if err := insertAccount("half")(ctx, tx); err != nil {
			return err
		}
		return insertAccount("a")(ctx, tx)
	})
	if !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("lone failing write: got %v, want ErrConflict", err)
	}
	if _, err := db.AccountByName(context.Background(), "half"); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("the failed write's first insert: got %v, want ErrNotFound", err)
	}
	if err := db.exec(context.Background(), insertAccount("b")); err != nil {
		t.Fatalf("write after a failed one: %v", err)
	}
	if got, want := countAccounts(t, db), 2; got != want {
		t.Errorf("accounts: got %d, want %d", got, want)
	}
}

// When the COMMIT fails, every write of the batch gets the error, nothing is
// kept, and the writer goes on.
func TestGroupCommitFailure(t *testing.T) {
	db := openTestDB(t)
	release := hold(t, db)
	breaks := func(ctx context.Context, tx *writeTx) error {
		// A deferred foreign key violation passes every statement and
		// fails the COMMIT.
		if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, account_id, livemode, kind, prefix, hash, created_at)
			VALUES (x'01', x'02', 0, 'secret', 'p', x'03', 0)`)
		return err
	}
	fns := []writeFunc{insertAccount("x"), breaks, insertAccount("y")}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = db.exec(context.Background(), fn) })
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("write %d of a batch whose COMMIT failed: got nil, want an error", i)
		} else if i != 1 && !strings.Contains(err.Error(), "commit") {
			t.Errorf("write %d of a batch whose COMMIT failed: got %v, want the COMMIT's error", i, err)
		}
	}
	if got := countAccounts(t, db); got != 0 {
		t.Errorf("accounts after a failed COMMIT: got %d, want 0", got)
	}
	if err := db.exec(context.Background(), insertAccount("z")); err != nil {
		t.Fatalf("write after a failed COMMIT: %v", err)
	}
	if got := countAccounts(t, db); got != 1 {
		t.Errorf("accounts: got %d, want 1", got)
	}
}

// A write whose ctx ends while it is queued returns at once and never runs.
func TestExecCanceledInQueue(t *testing.T) {
	db := openTestDB(t)
	release := hold(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- db.exec(ctx, insertAccount("never")) }()
	waitQueued(t, db, 1)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("exec: got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("exec did not return when its ctx ended")
	}
	release()
	if err := db.exec(context.Background(), insertAccount("after")); err != nil {
		t.Fatal(err)
	}
	if got := countAccounts(t, db); got != 1 {
		t.Errorf("accounts: got %d, want 1 (the canceled write must not run)", got)
	}
}

// Close lets the queued writes commit, then refuses new ones.
func TestCloseDrains(t *testing.T) {
	path := t.TempDir() + "/p.db"
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	release := hold(t, db)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = db.exec(context.Background(), insertAccount(fmt.Sprint("acct", i))) })
	}
	waitQueued(t, db, n)
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	for !db.w.isClosed() {
		time.Sleep(time.Millisecond)
	}
	if err := db.exec(context.Background(), insertAccount("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: got %v, want ErrClosed", err)
	}
	release()
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued write %d: got %v, want nil", i, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	db, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := countAccounts(t, db); got != n {
		t.Errorf("accounts after reopening: got %d, want %d", got, n)
	}
}

func (w *writer) isClosed() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}

// queueCreates queues CreateLink of each link (and its event) behind a held
// write, in order, releases the writer and returns each write's error.
func queueCreates(t *testing.T, db *DB, links []*paylinks.Link, events []*paylinks.Event, between map[int]writeFunc) []error {
	t.Helper()
	release := hold(t, db)
	errs := make([]error, len(links))
	var betweenErrs sync.Map
	var wg sync.WaitGroup
	queued := 0
	for i := range links {
		if fn, ok := between[i]; ok {
			wg.Go(func() {
				if err := db.exec(context.Background(), fn); err != nil {
					betweenErrs.Store(i, err)
				}
			})
			queued++
			waitQueued(t, db, queued)
		}
		wg.Go(func() { errs[i] = db.CreateLink(context.Background(), links[i], events[i], nil) })
		queued++
		waitQueued(t, db, queued) // keep the order
	}
	release()
	wg.Wait()
	betweenErrs.Range(func(k, v any) bool {
		t.Errorf("write queued before link %d: %v", k, v)
		return true
	})
	return errs
}

// The links created in one batch are inserted together, one statement per
// table; each is then what CreateLink alone would have written, with its
// event and in the list's total.
func TestGroupedLinkInserts(t *testing.T) {
	db := openTestDB(t)
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "acct", CreatedAt: time.Now()}
	if err := db.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	const n = 45 // 32 + 8 + 4 + 1 rows: every statement size but one
	links, events := make([]*paylinks.Link, n), make([]*paylinks.Event, n)
	for i := range n {
		links[i], events[i] = benchLink(t, a, int64(i))
		links[i].Title = fmt.Sprintf("Link %d", i)
		links[i].Multiple = i%2 == 0
	}
	commits, grouped := db.w.commits.Load(), db.w.groupedRows.Load()
	for i, err := range queueCreates(t, db, links, events, nil) {
		if err != nil {
			t.Errorf("CreateLink %d: %v", i, err)
		}
	}
	if got := db.w.commits.Load() - commits; got != 2 { // the held write's and the batch's
		t.Errorf("commits: got %d, want 2", got)
	}
	if got := db.w.groupedRows.Load() - grouped; got != 2*n {
		t.Errorf("rows inserted by grouped statements: got %d, want %d (links and events)", got, 2*n)
	}
	ctx := context.Background()
	for i, want := range links {
		got, err := db.GetLink(ctx, a.ID, false, want.ID)
		if err != nil {
			t.Fatalf("GetLink %d: %v", i, err)
		}
		if got.Title != want.Title || got.Slug != want.Slug || got.Multiple != want.Multiple || got.Amount != want.Amount ||
			!got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("link %d: got %+v, want %+v", i, got, want)
		}
		ev, err := db.GetEvent(ctx, a.ID, false, events[i].ID)
		if err != nil || ev.ObjectID != want.ID || ev.Key != "link.create" {
			t.Errorf("event of link %d: %+v, %v", i, ev, err)
		}
	}
	if _, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 1}); err != nil || total != n {
		t.Errorf("list total: got %d, %v; want %d", total, err, n)
	}
}

// A link whose slug is taken fails alone, its event not written, when it
// was grouped with others; writes of other kinds between the links are
// kept in the batch.
func TestGroupedLinkInsertsConflict(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "acct", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	taken, takenEv := benchLink(t, a, 100)
	taken.Slug = "taken"
	if err := db.CreateLink(ctx, taken, takenEv, nil); err != nil {
		t.Fatal(err)
	}
	const n = 7
	links, events := make([]*paylinks.Link, n), make([]*paylinks.Event, n)
	for i := range n {
		links[i], events[i] = benchLink(t, a, int64(i))
	}
	links[4].Slug = "taken"
	errs := queueCreates(t, db, links, events, map[int]writeFunc{2: insertAccount("between")})
	for i, err := range errs {
		switch {
		case i == 4 && !errors.Is(err, paylinks.ErrConflict):
			t.Errorf("CreateLink of a taken slug: got %v, want ErrConflict", err)
		case i != 4 && err != nil:
			t.Errorf("CreateLink %d: %v", i, err)
		}
	}
	if _, err := db.GetEvent(ctx, a.ID, false, events[4].ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("the event of the refused link: got %v, want ErrNotFound", err)
	}
	if _, err := db.GetLink(ctx, a.ID, false, links[4].ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("the refused link: got %v, want ErrNotFound", err)
	}
	if _, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 1}); err != nil || total != n {
		t.Errorf("list total: got %d, %v; want %d (the taken one and %d new)", total, err, n, n-1)
	}
	if _, err := db.AccountByName(ctx, "between"); err != nil {
		t.Errorf("the write queued between the links: %v", err)
	}
}
