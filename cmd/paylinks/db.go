package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// defaultDB is the database used when none is given: an embedded SQLite
// file, made on first start.
const defaultDB = "sqlite:./data/paylinks.db"

// openStore opens the database named by dsn, picking the backend by scheme:
// "sqlite:PATH" (or "sqlite://PATH", or a bare path) or
// "postgres://…" / "postgresql://…". Migrations are applied.
func openStore(ctx context.Context, dsn string, maxConns int) (store.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn, maxConns)
	default:
		path, err := sqlitePath(dsn)
		if err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path)
	}
}

func migrateStore(ctx context.Context, dsn string) error {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Migrate(ctx, dsn)
	default:
		path, err := sqlitePath(dsn)
		if err != nil {
			return err
		}
		return sqlite.Migrate(ctx, path)
	}
}

func sqlitePath(dsn string) (string, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
	if path == "" {
		return "", fmt.Errorf("--db %q: no file path", dsn)
	}
	if i := strings.Index(path, "://"); i >= 0 {
		return "", fmt.Errorf("--db %q: unknown database scheme %q (use sqlite:PATH or postgres://…)", dsn, path[:i])
	}
	return path, nil
}
