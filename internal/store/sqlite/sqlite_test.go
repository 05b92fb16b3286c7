package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/storetest"
)

// openTestDB opens a new database file in a temporary folder, closed when
// the test ends.
func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "data", "paylinks.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTestDB(t) })
}

var _ = fmt.Sprint
