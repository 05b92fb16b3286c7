package sqlite

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

// TestFullDatabase caps the file at its current size (SQLite's
// max_page_count, which fails a write with SQLITE_FULL as a full disk
// does), writes until writes are refused, and checks that the refusal is
// ErrStorageFull (503 in every dialect), that concurrent writes of the
// refused batch were each refused or committed whole, and that writes
// succeed again once the cap is lifted.
func TestFullDatabase(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	a := &paylinks.Account{ID: paylinks.ID{1}, Name: "full", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages+2)); err != nil {
		t.Fatal(err)
	}
	var saved, refused []*paylinks.Link
	for i := int64(0); i < 2000 && len(refused) < 20; i++ {
		l, ev := benchLink(t, a, i)
		err := db.CreateLink(ctx, l, ev, nil)
		switch {
		case err == nil:
			saved = append(saved, l)
		case errors.Is(err, ErrStorageFull):
			if e := paylinks.AsError(err); e.Kind != paylinks.KindUnavailable || e.Code != "storage_full" {
				t.Fatalf("full: %v, want kind unavailable, code storage_full", err)
			}
			refused = append(refused, l)
		default:
			t.Fatalf("CreateLink on a full database: %v, want ErrStorageFull", err)
		}
	}
	if len(refused) == 0 {
		t.Fatalf("no write refused after %d links on a database capped at %d pages", len(saved), pages+2)
	}
	if _, err := db.write.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	l, ev := benchLink(t, a, 5000)
	if err := db.CreateLink(ctx, l, ev, nil); err != nil {
		t.Fatalf("CreateLink once space returned: %v", err)
	}
	saved = append(saved, l)
	for _, l := range saved {
		if _, err := db.GetLink(ctx, a.ID, false, l.ID); err != nil {
			t.Errorf("saved link %v: %v", l.ID, err)
		}
	}
	for _, l := range refused {
		if _, err := db.GetLink(ctx, a.ID, false, l.ID); !errors.Is(err, paylinks.ErrNotFound) {
			t.Errorf("refused link %v: %v, want not found", l.ID, err)
		}
	}
}
