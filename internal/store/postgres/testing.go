package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks/internal/store"
)

// TestEnv is the environment variable that holds the DSN of the PostgreSQL
// database tests may use. Tests that need PostgreSQL skip when it is empty,
// and fail when $CI is set too: in CI a skipped PostgreSQL test is a failure.
const TestEnv = "PAYLINKS_TEST_POSTGRES"

// TestDSN returns a DSN for a fresh, empty schema in the database named by
// $PAYLINKS_TEST_POSTGRES (search_path set to it), for tests that start real
// server processes or open their own pools. The schema is dropped when the
// test ends. It skips the test when the variable is empty (fails it under
// CI).
func TestDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(TestEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set, and CI requires the PostgreSQL tests", TestEnv)
		}
		tb.Skipf("%s is not set: no PostgreSQL to test against", TestEnv)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "pl_test_" + hex.EncodeToString(b[:])
	if err := adminExec(context.Background(), base, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("postgres test: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adminExec(ctx, base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("postgres test: %v", err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		tb.Fatalf("postgres test: %v", err)
	}
	return dsn
}

// OpenTest opens a migrated store on a fresh schema (see TestDSN) and closes
// it when the test ends. It skips the test when $PAYLINKS_TEST_POSTGRES is
// empty (fails it under CI).
func OpenTest(tb testing.TB) *DB {
	tb.Helper()
	dsn := TestDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := Open(ctx, dsn, 4)
	if err != nil {
		tb.Fatalf("postgres test: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// adminExec runs one statement on a connection of its own.
func adminExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withSearchPath returns dsn, a URL or a key=value string, with search_path
// set to schema. pgx sends parameters it does not know as run-time
// parameters of the session.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

// ExplainSearchLinks returns PostgreSQL's plans (EXPLAIN, text) of the page
// and the count of a search of links, for tests that check they read an
// index.
func (db *DB) ExplainSearchLinks(ctx context.Context, s store.Search) (page, count string, err error) {
	q := searchLinksQuery(s)
	explain := func(sql string, args []any) (string, error) {
		rows, err := db.pool.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			return "", err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		return strings.Join(lines, "\n"), err
	}
	if page, err = explain(q.pageSQL, q.pageArgs); err != nil {
		return "", "", err
	}
	count, err = explain(q.countSQL, q.countArgs)
	return page, count, err
}
