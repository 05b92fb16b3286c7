package service_test

import (
	"context"
	"testing"

	"github.com/paylinks/paylinks/internal/store/sqlite"
)

func openSQLite(t *testing.T, path string) (*sqlite.DB, error) {
	t.Helper()
	return sqlite.Open(context.Background(), path)
}
